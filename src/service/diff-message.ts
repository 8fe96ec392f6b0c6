import { describeChange } from '../core/field-diff.ts';
import type { Message } from '../core/message.ts';
import { changesOf } from '../jobs/preview.ts';
import type { TargetPreview } from '../jobs/spec.ts';

/** Diff lines shown in an approval before the rest is counted and left to the operation's page. */
export const DIFF_LINES_SHOWN = 24;

type Section = NonNullable<Message['sections']>[number];

/**
 * The request-time dry run's diff as message sections, one per workload ("What changes on gz:
 * Deployment web-prod/web"), each line "container web image: …:v1 → …:v2". A workload the
 * write leaves as it is says so. Past `max` lines the rest is counted in a last line: every
 * surface then shows the same cut, whatever its own limits, and the job link has the whole.
 */
export function diffSections(previews: readonly TargetPreview[], max = DIFF_LINES_SHOWN): Section[] {
  const out: Section[] = [];
  let shown = 0;
  let hidden = 0;
  for (const p of previews) {
    const lines = p.changes.length === 0 ? ['no change (already so)'] : changesOf(p).map(describeChange);
    const room = Math.max(0, max - shown);
    if (room === 0) {
      hidden += lines.length;
      continue;
    }
    const kept = lines.slice(0, room);
    hidden += lines.length - kept.length;
    shown += kept.length;
    out.push({ heading: `What changes on ${p.cluster}: ${p.kind} ${p.namespace}/${p.name}`, lines: kept });
  }
  if (hidden > 0) {
    const last = out[out.length - 1];
    if (last !== undefined) out[out.length - 1] = { ...last, lines: [...last.lines, `… and ${hidden} more change${hidden === 1 ? '' : 's'}: see the operation's page`] };
  }
  return out;
}
