import type { FreezeConfig } from '../config/schema.ts';
import { localTime } from './clock.ts';

export interface ActiveFreeze {
  readonly name: string;
  readonly reason: string | undefined;
  /** When it ends, in the freeze's own time zone, for people to read. */
  readonly until: string;
}

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** The freeze window covering `env` at `now`, if any (config windows; ad-hoc ones are passed in). */
export function activeFreeze(freezes: readonly FreezeConfig[], env: string, now: Date): ActiveFreeze | undefined {
  for (const f of freezes) {
    if (!f.envs.includes(env) && !f.envs.includes('*')) continue;
    const local = localTime(now, f.timezone);
    if ('start' in f) {
      const start = f.start.replace('T', ' ');
      const end = f.end.replace('T', ' ');
      if (local.stamp >= start && local.stamp < end) return { name: f.name, reason: f.reason, until: `${end} ${f.timezone}` };
      continue;
    }
    const { days, from, to } = f.weekly;
    const today = local.weekday;
    const yesterday = DAYS[(DAYS.indexOf(today) + 6) % 7] ?? today;
    if (from <= to) {
      if (days.includes(today) && local.clock >= from && local.clock < to) return { name: f.name, reason: f.reason, until: `${to} ${f.timezone}` };
    } else {
      // An overnight window ("22:00" to "06:00") belongs to the day it starts on.
      if ((days.includes(today) && local.clock >= from) || (days.includes(yesterday) && local.clock < to)) {
        return { name: f.name, reason: f.reason, until: `${to} ${f.timezone}` };
      }
    }
  }
  return undefined;
}
