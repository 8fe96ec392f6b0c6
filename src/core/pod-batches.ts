/**
 * Pod batches of a StatefulSet release (`pods=` on /deploy), resolved to rolling-update
 * partitions. A partition p moves every pod with ordinal >= p to the new revision, so a batch
 * can only ever add the next pods below the ones already moved: batches are cumulative
 * suffixes of the ordinals, from the highest down. People say them as counts or shares of the
 * replicas ("1,50%,100%") or as ordinal ranges ("#9,#8-5,#4-0"). Pure.
 *
 * Parsing (the grammar, no replica count) is split from resolving (against one cluster's
 * replicas), because replicas may differ per cluster and are only known when the request is
 * bound to the live StatefulSets.
 */
export type PodStep = { readonly kind: 'count'; readonly n: number } | { readonly kind: 'percent'; readonly p: number } | { readonly kind: 'ordinals'; readonly hi: number; readonly lo: number };

/** What partitions can do, said with every refusal. */
export const PARTITION_HINT =
  'a partition updates pods from the highest ordinal down, so batches are cumulative counts or shares of the replicas (pods=1,50%,100%) or ordinal ranges that continue downward to #0 (pods=#9,#8-5,#4-0)';

function parseStep(word: string): PodStep | string {
  const count = /^(\d{1,5})$/.exec(word);
  if (count !== null) return Number(count[1]) >= 1 ? { kind: 'count', n: Number(count[1]) } : 'a batch of 0 pods moves nothing';
  const percent = /^(\d{1,3})%$/.exec(word);
  if (percent !== null) {
    const p = Number(percent[1]);
    return p >= 1 && p <= 100 ? { kind: 'percent', p } : 'shares are whole numbers from 1% to 100%';
  }
  const range = /^#(\d{1,5})(?:-(\d{1,5}))?$/.exec(word);
  if (range !== null) {
    const hi = Number(range[1]);
    const lo = range[2] === undefined ? hi : Number(range[2]);
    return hi >= lo ? { kind: 'ordinals', hi, lo } : `#${hi}-${lo} runs upward; ranges are written from the higher ordinal down (#${lo}-${hi} as #${hi}-${lo})`;
  }
  return `"${word}" is not a count (1), a share (50%) or an ordinal range (#8-5)`;
}

/** The grammar: each step well formed, ordinals not mixed with counts, ranges that continue downward to #0. */
export function parsePodSteps(words: readonly string[]): { ok: true; steps: PodStep[] } | { ok: false; problem: string } {
  if (words.length === 0) return { ok: false, problem: 'no batch is given' };
  const steps: PodStep[] = [];
  for (const w of words) {
    const s = parseStep(w);
    if (typeof s === 'string') return { ok: false, problem: s };
    steps.push(s);
  }
  const ordinals = steps.filter((s) => s.kind === 'ordinals');
  if (ordinals.length > 0 && ordinals.length !== steps.length) return { ok: false, problem: "ordinal ranges can't be mixed with counts or shares" };
  for (let i = 1; i < ordinals.length; i++) {
    const prev = ordinals[i - 1];
    const cur = ordinals[i];
    if (prev === undefined || cur === undefined) continue;
    if (cur.hi !== prev.lo - 1) {
      const expect = prev.lo === 0 ? 'nothing after #0' : `#${prev.lo - 1}`;
      return { ok: false, problem: `batch ${i + 1} starts at #${cur.hi}, but ${expect} comes next: ${PARTITION_HINT}` };
    }
  }
  const last = steps[steps.length - 1];
  if (last?.kind === 'ordinals' && last.lo !== 0) return { ok: false, problem: `the last batch must reach #0 (it ends at #${last.lo}), so that every pod is updated` };
  if (last?.kind === 'percent' && last.p !== 100) return { ok: false, problem: 'the last batch must reach 100% (or the replica count)' };
  return { ok: true, steps };
}

/** One batch on one StatefulSet: the pods it adds (ordinals hi down to lo) and the partition that does it. */
export interface PodBatch {
  /** The partition after this batch: pods with ordinal >= it run the new revision. */
  readonly partition: number;
  /** Ordinals this batch adds, highest first; empty when the batch adds no pod on this cluster. */
  readonly hi: number;
  readonly lo: number;
}

export function batchSize(b: PodBatch): number {
  return b.hi >= b.lo ? b.hi - b.lo + 1 : 0;
}

/** Pods updated in total once the step is done, for `replicas` replicas. */
function cumulative(step: PodStep, replicas: number): number {
  switch (step.kind) {
    case 'count':
      return step.n;
    case 'percent':
      return Math.ceil((step.p * replicas) / 100);
    case 'ordinals':
      return replicas - step.lo;
  }
}

function shown(step: PodStep): string {
  return step.kind === 'count' ? String(step.n) : step.kind === 'percent' ? `${step.p}%` : step.hi === step.lo ? `#${step.hi}` : `#${step.hi}-${step.lo}`;
}

/**
 * The partitions of the steps on a StatefulSet with `replicas` replicas, or why they can't be:
 * a step past the replicas, a step that would move pods back (fewer than the one before), the
 * last not reaching every pod, ranges not starting at the highest ordinal. A step that adds no
 * pod on this cluster (1,5% of 10 replicas) is kept as an empty batch, so batches line up
 * across clusters; `where` names the StatefulSet in the refusal.
 */
export function podBatchesFor(steps: readonly PodStep[], replicas: number, where: string): { ok: true; batches: PodBatch[] } | { ok: false; problem: string } {
  if (replicas < 1) return { ok: false, problem: `${where} has no replicas to update` };
  const first = steps[0];
  if (first?.kind === 'ordinals' && first.hi !== replicas - 1) {
    return { ok: false, problem: `${where} has ${replicas} replicas (ordinals #${replicas - 1}-0), so the first range must start at #${replicas - 1}, not #${first.hi}: ${PARTITION_HINT}` };
  }
  const batches: PodBatch[] = [];
  let done = 0;
  for (const [i, step] of steps.entries()) {
    const total = cumulative(step, replicas);
    if (total > replicas) return { ok: false, problem: `batch ${i + 1} (${shown(step)}) asks for ${total} pods, but ${where} has ${replicas} replicas` };
    if (total < done) {
      return { ok: false, problem: `batch ${i + 1} (${shown(step)}) means ${total} pods in all on ${where}, fewer than the ${done} updated before it; batches are cumulative: ${PARTITION_HINT}` };
    }
    batches.push({ partition: replicas - total, hi: replicas - 1 - done, lo: replicas - total });
    done = total;
  }
  if (done !== replicas) return { ok: false, problem: `the batches reach ${done} of the ${replicas} replicas of ${where}; the last batch must reach all of them (100%)` };
  if (batches.every((b) => batchSize(b) === 0)) return { ok: false, problem: `the batches move no pod of ${where}` };
  return { ok: true, batches };
}

/** "db-9", "db-8…db-5" for a batch's pods of StatefulSet `name`; "none" for an empty batch. */
export function podNames(name: string, b: PodBatch): string {
  const n = batchSize(b);
  if (n === 0) return 'no pod';
  if (n === 1) return `${name}-${b.hi}`;
  if (n === 2) return `${name}-${b.hi}, ${name}-${b.lo}`;
  return `${name}-${b.hi}…${name}-${b.lo}`;
}

/** How the controller moves the pods of one batch, for the plan. */
export function podPace(policy: string | undefined, maxUnavailable: number | string | undefined): string {
  if (policy === 'Parallel') return `Parallel pod management: up to ${maxUnavailable ?? 1} pod(s) of a batch at once (maxUnavailable)`;
  return 'OrderedReady pod management: the pods of a batch update one at a time, each Ready before the next';
}

/** A pod as the batch gate sees it (kube/diagnose.ts's PodDiagnosis has these fields). */
export interface PodView {
  readonly name: string;
  readonly ready: boolean;
  readonly reason: string | undefined;
  readonly message: string | undefined;
  readonly revisionHash: string | undefined;
}

export interface BatchPods {
  /** Every pod from the top ordinal down to the batch's lowest is at `revision` and Ready. */
  readonly ok: boolean;
  /** Pods that should run the new revision once this batch is done, and how many of them do and are Ready. */
  readonly wanted: number;
  readonly moved: number;
  readonly ready: number;
  /** "db-9: CrashLoopBackOff (back-off 10s restarting …)", for each wanted pod not there yet. */
  readonly problems: readonly string[];
}

function ordinalOf(setName: string, podName: string): number | undefined {
  if (!podName.startsWith(`${setName}-`)) return undefined;
  const rest = podName.slice(setName.length + 1);
  return /^\d+$/.test(rest) ? Number(rest) : undefined;
}

/** Where the pods of a StatefulSet stand against a batch that moved everything from ordinal `lo` up. */
export function batchPods(setName: string, replicas: number, lo: number, revision: string | undefined, pods: readonly PodView[]): BatchPods {
  const byOrdinal = new Map<number, PodView>();
  for (const p of pods) {
    const o = ordinalOf(setName, p.name);
    if (o !== undefined) byOrdinal.set(o, p);
  }
  let moved = 0;
  let ready = 0;
  const problems: string[] = [];
  for (let o = replicas - 1; o >= lo; o--) {
    const p = byOrdinal.get(o);
    const name = `${setName}-${o}`;
    if (p === undefined) {
      problems.push(`${name}: not created yet`);
      continue;
    }
    const at = revision !== undefined && p.revisionHash === revision;
    if (at) moved++;
    if (at && p.ready) ready++;
    if (!at) problems.push(`${name}: still on ${p.revisionHash ?? 'an unknown revision'}${p.reason === undefined ? '' : ` (${p.reason})`}`);
    else if (!p.ready) problems.push(`${name}: ${p.reason ?? 'not Ready'}${p.message === undefined ? '' : ` (${p.message})`}`);
  }
  const wanted = Math.max(0, replicas - lo);
  return { ok: ready === wanted && wanted > 0, wanted, moved, ready, problems };
}
