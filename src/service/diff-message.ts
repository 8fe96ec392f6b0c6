import { describeChange } from '../core/field-diff.ts';
import type { Link, Message } from '../core/message.ts';
import type { PreflightReport } from '../jobs/preflight-run.ts';
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
    out.push({ heading: `What changes on ${p.cluster}: ${subjectOf(p)}`, lines: kept });
  }
  if (hidden > 0) {
    const last = out[out.length - 1];
    if (last !== undefined) out[out.length - 1] = { ...last, lines: [...last.lines, `… and ${hidden} more change${hidden === 1 ? '' : 's'}: see the operation's page`] };
  }
  return out;
}

/** The object a preview's changes are to: the workload, or the autoscaler that scales it. */
function subjectOf(p: TargetPreview): string {
  if (p.autoscaler === undefined) return `${p.kind} ${p.namespace}/${p.name}`;
  return `HorizontalPodAutoscaler ${p.namespace}/${p.autoscaler} (scales ${p.kind} ${p.name})`;
}

/** Preflight findings as one section, each line what was found and why it matters; lists it couldn't read as a last line. */
export function preflightSections(report: PreflightReport): Section[] {
  const lines = report.findings.map((f) => `${f.where}: ${f.warning.text}. Why: ${f.warning.why}`);
  if (report.unread.length > 0) lines.push(`Not checked (could not read): ${report.unread.join('; ')}`);
  if (lines.length === 0) return [];
  const n = report.findings.length;
  const heading = report.mode === 'block' ? `Preflight: ${n} finding${n === 1 ? '' : 's'} (this environment blocks on them)` : `Preflight: ${n} warning${n === 1 ? '' : 's'}`;
  return [{ heading, lines }];
}

/** Whether the diff of these previews is longer than an approval shows. */
export function diffIsCut(previews: readonly TargetPreview[], max = DIFF_LINES_SHOWN): boolean {
  return previews.reduce((n, p) => n + Math.max(1, p.changes.length), 0) > max;
}

/**
 * The request's answer with what the dry runs and preflight found: the diff per workload, then
 * the preflight section. A diff cut short brings the operation's page (`jobLink`) along.
 */
export function withChecks(m: Message, previews: readonly TargetPreview[], report: PreflightReport, jobLink?: Link): Message {
  const links = jobLink !== undefined && diffIsCut(previews) && !m.links.some((l) => l.url === jobLink.url) ? [...m.links, jobLink] : m.links;
  return { ...m, sections: [...(m.sections ?? []), ...diffSections(previews), ...preflightSections(report)], links };
}
