import { z } from 'zod';
import { parseDuration, type Duration } from '../../core/duration.ts';
import { durationField } from './fields.ts';

/**
 * Who is who and who may do what: people (with their chat ids), access rules with their
 * approvals, and change freezes. The names a rule or freeze uses (groups, environments,
 * verbs) are checked against the other sections in references.ts.
 */

export const person = z.strictObject({
  name: z.string().min(1).optional(),
  slack: z.string().regex(/^[UW][A-Z0-9]{2,}$/, { message: 'a Slack user id such as U0123ABCD' }).optional(),
  lark: z.string().regex(/^ou_[A-Za-z0-9]+$/, { message: 'a Lark open_id such as ou_7d8a6e6df7621556ce0d21922b676706' }).optional(),
  email: z.email().optional(),
  /**
   * Outside local mode, the web console signs a person in with a personal token: this is the
   * token's SHA-256 (hex), so the config never holds the token itself.
   */
  consoleTokenHash: z
    .string()
    .regex(/^(sha256:)?[0-9a-f]{64}$/, { message: 'the SHA-256 of the token, as 64 hex digits (printf %s "$TOKEN" | sha256sum)' })
    .optional(),
});

const subject = z.string().regex(/^(\*|group:[a-z0-9._-]+|[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?)$/, {
  message: 'a person, group:<name> or "*"',
});

const approval = z.strictObject({
  count: z.number().int().min(1).max(10).default(1),
  from: z.array(subject).min(1, { message: 'say who may approve' }),
  expires: durationField.default(parseDuration('1h') as Duration),
});

export const accessRule = z.strictObject({
  name: z.string().min(1).optional(),
  who: z.array(subject).min(1),
  verbs: z.array(z.string()).min(1),
  envs: z.array(z.string()).min(1).default(['*']),
  apps: z.array(z.string()).min(1).default(['*']),
  approval: approval.optional(),
});

const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not an IANA time zone such as Asia/Shanghai or Europe/Berlin' },
);

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'a time of day such as 18:00' });
const localDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}$/, { message: 'a local date and time such as 2026-12-24 00:00' });
const weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);

export const freeze = z.union([
  z.strictObject({
    name: z.string().min(1),
    envs: z.array(z.string()).min(1),
    timezone: timeZone,
    start: localDateTime,
    end: localDateTime,
    reason: z.string().min(1).optional(),
  }),
  z.strictObject({
    name: z.string().min(1),
    envs: z.array(z.string()).min(1),
    timezone: timeZone,
    weekly: z.strictObject({ days: z.array(weekday).min(1), from: clock, to: clock }),
    reason: z.string().min(1).optional(),
  }),
]);
