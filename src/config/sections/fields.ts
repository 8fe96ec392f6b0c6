import { z } from 'zod';
import { parseDuration, type Duration } from '../../core/duration.ts';

/**
 * Field shapes more than one section of the config uses: names (of people, clusters, apps…),
 * durations as people type them, secrets, label names, chat channels and link templates.
 */

const NAME = /^[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?$/;
export const name = z.string().regex(NAME, { message: 'lowercase letters, digits, . _ -, up to 63 characters' });
export const nameMap = <T extends z.ZodType>(value: T) =>
  z.record(z.string(), value).superRefine((rec, ctx) => {
    for (const key of Object.keys(rec)) {
      if (!NAME.test(key)) ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" is not a valid name (lowercase letters, digits, . _ -)` });
    }
  });

export const durationField = z.union([z.string(), z.number()]).transform((v, ctx): Duration => {
  const d = parseDuration(typeof v === 'number' ? `${v}s` : v);
  if (d === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration such as 30m or 2h` });
    return z.NEVER;
  }
  return d;
});

export const secret = z.string().min(1);
export const labelName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'a label name such as severity or app' });
export const channel = z.string().regex(/^(slack|lark|console):[A-Za-z0-9_.-]+$/, { message: 'a channel such as slack:C0123ABCD, lark:oc_… or console:ops' });

/** A URL template whose {placeholders} are filled per message: only the given ones are known. */
export function linkTemplate(placeholders: readonly string[]) {
  return z.string().superRefine((s, ctx) => {
    if (!/^https?:\/\//.test(s)) ctx.addIssue({ code: 'custom', message: 'a link template starts with http:// or https://' });
    for (const m of s.matchAll(/\{([^}]*)\}/g)) {
      if (!placeholders.includes(m[1] ?? '')) ctx.addIssue({ code: 'custom', message: `unknown placeholder {${m[1]}}; known: ${placeholders.map((p) => `{${p}}`).join(' ')}` });
    }
  });
}
