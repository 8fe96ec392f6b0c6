import { describeChange } from '../core/field-diff.ts';
import type { Link, Message } from '../core/message.ts';
import type { PreflightCheck } from '../core/preflight-checks.ts';
import type { PreflightFinding, PreflightReport } from '../jobs/preflight-run.ts';
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

/** Preflight lines shown one per finding; past this, findings are grouped by check. */
export const PREFLIGHT_LINES_SHOWN = 12;
/** Workloads named in a grouped line before the rest are counted. */
const NAMED_PER_GROUP = 3;

/** A check's findings said once for the whole fleet ("no readinessProbe"). */
const CHECK_TITLE: Readonly<Record<PreflightCheck, string>> = {
  readiness: 'a container without a readinessProbe',
  prestop: 'no clean shutdown (preStop hook or grace period)',
  rollout: 'a rollout that may take every ready pod down',
  pdb: 'no PodDisruptionBudget',
  quota: 'a ResourceQuota too tight for the change',
  hpa: 'replicas owned by a HorizontalPodAutoscaler',
  'mutable-tag': 'a mutable image tag',
};

/**
 * Findings grouped by check and why, each group one line: how many workloads, the first few
 * by name, the rest counted. A 3,000-workload upgrade of apps with no readinessProbe reads as
 * one line, not 3,000 that every renderer would cut at its own limit.
 */
function groupedLines(findings: readonly PreflightFinding[]): string[] {
  const groups = new Map<string, { check: PreflightCheck; why: string; where: string[]; example: string }>();
  for (const f of findings) {
    const key = `${f.warning.check}\n${f.warning.why}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = { check: f.warning.check, why: f.warning.why, where: [], example: `${f.where}: ${f.warning.text}` };
      groups.set(key, g);
    }
    if (!g.where.includes(f.where)) g.where.push(f.where);
  }
  return [...groups.values()].map((g) => {
    const n = g.where.length;
    const named = g.where.slice(0, NAMED_PER_GROUP).join('; ');
    const rest = n > NAMED_PER_GROUP ? `; … and ${n - NAMED_PER_GROUP} more` : '';
    return `${CHECK_TITLE[g.check]}: ${n} workload${n === 1 ? '' : 's'} (${named}${rest}), e.g. ${g.example}. Why: ${g.why}`;
  });
}

/**
 * Preflight findings as one section, each line what was found and why it matters; past
 * `max` findings, one line per check instead. Lists it couldn't read come as a last line.
 */
export function preflightSections(report: PreflightReport, max = PREFLIGHT_LINES_SHOWN): Section[] {
  const n = report.findings.length;
  const lines = n > max ? groupedLines(report.findings) : report.findings.map((f) => `${f.where}: ${f.warning.text}. Why: ${f.warning.why}`);
  if (report.unread.length > 0) lines.push(`Not checked (could not read): ${report.unread.join('; ')}`);
  if (lines.length === 0) return [];
  const grouped = n > max ? ', grouped by check' : '';
  const heading = report.mode === 'block' ? `Preflight: ${n} finding${n === 1 ? '' : 's'}${grouped} (this environment blocks on them)` : `Preflight: ${n} warning${n === 1 ? '' : 's'}${grouped}`;
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
