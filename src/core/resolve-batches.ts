import type { Config } from '../config/schema.ts';
import { chatError, type ChatError } from './errors.ts';
import { err, ok, type Result } from './result.ts';
import { closest } from './suggest.ts';
import { regions, type Target } from './targets.ts';

/**
 * An upgrade's batches (resolve.ts): `batches=gz,hk+sh` by region, cluster or app, or
 * `batches=10%,50%,100%` by cumulative share, each workload in exactly one batch. Pure.
 */
type R<T> = Result<T, ChatError>;

/** Orders workloads the same way every time: region, cluster, app. */
function byPlace(a: Target, b: Target): number {
  return a.region.localeCompare(b.region) || a.cluster.localeCompare(b.cluster) || a.app.localeCompare(b.app);
}

export function planBatches(config: Config, targets: readonly Target[], groups: readonly (readonly string[])[]): R<Target[][]> {
  const sorted = [...targets].sort(byPlace);
  if (groups.every((g) => g.length === 1 && (g[0] ?? '').endsWith('%'))) {
    // Cumulative shares of the selected workloads, rounded up; a share that adds nobody is skipped.
    const out: Target[][] = [];
    let from = 0;
    for (const g of groups) {
      const to = Math.ceil((Number((g[0] ?? '0%').slice(0, -1)) * sorted.length) / 100);
      if (to > from) out.push(sorted.slice(from, to));
      from = Math.max(from, to);
    }
    return ok(out);
  }
  const names = new Set([...regions(config), ...Object.keys(config.clusters), ...targets.map((t) => t.app)]);
  const placed = new Map<Target, number>();
  const out: Target[][] = [];
  for (const [i, g] of groups.entries()) {
    for (const n of g) {
      if (!names.has(n)) {
        return err(chatError('E_UNKNOWN_BATCH', `Batch ${i + 1} names "${n}", which is no region, cluster or selected app.`, { suggestions: closest(n, [...names]) }));
      }
    }
    const batch = sorted.filter((t) => g.includes(t.region) || g.includes(t.cluster) || g.includes(t.app));
    if (batch.length === 0) return err(chatError('E_EMPTY_BATCH', `Batch ${i + 1} (${g.join('+')}) contains none of the selected workloads.`));
    for (const t of batch) {
      const before = placed.get(t);
      if (before !== undefined) {
        return err(chatError('E_BAD_BATCHES', `${t.app} on ${t.cluster} is in batch ${before + 1} and in batch ${i + 1}.`));
      }
      placed.set(t, i);
    }
    out.push(batch);
  }
  const left = sorted.filter((t) => !placed.has(t));
  if (left.length > 0) {
    return err(
      chatError('E_UNBATCHED', `${left.map((t) => `${t.app} on ${t.cluster}`).join(', ')} ${left.length === 1 ? 'is' : 'are'} in no batch.`, {
        expected: 'batches that together cover every cluster of the environment',
      }),
    );
  }
  return ok(out);
}
