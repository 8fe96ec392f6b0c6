import { tagOf, type ContainerImage } from './images.ts';

/**
 * What the bot knows about the health of a workload's revisions, and how it reads it. Pure.
 *
 * A revision is named by its `key`, which survives a rollback: a Deployment's rollback reuses
 * the old ReplicaSet (same pod-template-hash, a new revision number), a StatefulSet's reuses the
 * old ControllerRevision (same name). The jobs record facts about keys (jobs/revision-health.ts):
 *
 * - `complete`: its rollout finished (and the batch's probe passed, where one runs), or it was
 *   live and complete when the bot first bound a request against it (`seen`);
 * - `failed`: its rollout (or probe) failed;
 * - `undone`: the bot rolled the workload back from it.
 *
 * The newest fact decides; a revision undone after a failure counts as failed.
 */
export type HealthState = 'complete' | 'failed' | 'undone';

export interface HealthFact {
  readonly state: HealthState;
  readonly at: Date;
  readonly opId?: string | undefined;
  /** Recorded because it was live and complete when a request was bound, not after a rollout of the bot's. */
  readonly seen?: boolean | undefined;
}

/** The newest fact of each kind about one revision. */
export interface RevisionHealth {
  readonly complete?: HealthFact | undefined;
  readonly failed?: HealthFact | undefined;
  readonly undone?: HealthFact | undefined;
}

/** By revision key. */
export type HealthMap = ReadonlyMap<string, RevisionHealth>;

export type Verdict =
  | { readonly kind: 'good'; readonly fact: HealthFact }
  /** Its rollout failed; `undone` when it was rolled back from afterwards. */
  | { readonly kind: 'failed'; readonly fact: HealthFact; readonly undone?: HealthFact | undefined }
  | { readonly kind: 'undone'; readonly fact: HealthFact }
  | { readonly kind: 'unknown' };

/** On a tie the gloomier fact wins. */
const RANK: Readonly<Record<HealthState, number>> = { complete: 0, undone: 1, failed: 2 };

function newer(a: HealthFact | undefined, b: HealthFact | undefined): HealthFact | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const d = a.at.getTime() - b.at.getTime();
  if (d !== 0) return d > 0 ? a : b;
  return RANK[a.state] >= RANK[b.state] ? a : b;
}

export function verdictOf(h: RevisionHealth | undefined): Verdict {
  if (h === undefined) return { kind: 'unknown' };
  const latest = newer(newer(h.complete, h.failed), h.undone);
  if (latest === undefined) return { kind: 'unknown' };
  if (latest.state === 'complete') return { kind: 'good', fact: latest };
  if (latest.state === 'failed') return { kind: 'failed', fact: latest, ...(h.undone !== undefined && h.undone.at.getTime() >= latest.at.getTime() ? { undone: h.undone } : {}) };
  // Undone: after a failure since it last completed, it is remembered as failed.
  const failedSince = h.failed !== undefined && (h.complete === undefined || h.failed.at.getTime() >= h.complete.at.getTime());
  return failedSince && h.failed !== undefined ? { kind: 'failed', fact: h.failed, undone: latest } : { kind: 'undone', fact: latest };
}

/** "10:02 UTC" */
export function clockOf(d: Date): string {
  return `${d.toISOString().slice(11, 16)} UTC`;
}

/** "3 min", "2 h", "4 d": how long ago, for people. */
export function ageOf(then: Date | undefined, now: Date): string {
  if (then === undefined) return 'age unknown';
  const s = Math.max(0, Math.round((now.getTime() - then.getTime()) / 1000));
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

function by(f: HealthFact): string {
  return f.opId === undefined ? '' : ` (${f.opId})`;
}

/** "complete since 10:02 UTC (op-…)", "failed at 10:01 UTC", "health unknown". */
export function describeVerdict(v: Verdict): string {
  switch (v.kind) {
    case 'good':
      return v.fact.seen === true ? `seen live and complete at ${clockOf(v.fact.at)}` : `complete since ${clockOf(v.fact.at)}${by(v.fact)}`;
    case 'failed':
      return `failed at ${clockOf(v.fact.at)}${by(v.fact)}${v.undone === undefined ? '' : `, rolled back from at ${clockOf(v.undone.at)}`}`;
    case 'undone':
      return `rolled back from at ${clockOf(v.fact.at)}${by(v.fact)}`;
    case 'unknown':
      return 'health unknown (the bot never saw it complete)';
  }
}

/** The image people know a revision by: the named container's (else the first) tag, or the whole reference. */
export function imageLabel(images: readonly ContainerImage[], container?: string): string {
  const c = (container === undefined ? undefined : images.find((i) => i.name === container)) ?? images[0];
  if (c === undefined) return 'no image';
  return tagOf(c.image) ?? c.image;
}
