import type { Config } from '../config/schema.ts';
import { choosePromotion, shortDigest, type Place, type SourceFacts } from '../core/promote.ts';
import type { ClusterGateway } from '../kube/gateway.ts';
import { selectContainers } from '../kube/images.ts';
import { refOf } from './context.ts';
import { runProbe } from './probe.ts';
import type { PromotionSource, Workload } from './spec.ts';

/**
 * The live side of a promotion: what each source cluster runs (the digests its pods report),
 * whether it is healthy (rollout complete, the app's probe passing where it has one), and, when
 * the job starts, whether the sources still run the digest the approval was for.
 */
export interface SourceDeps {
  readonly config: Config;
  readonly gatewayFor: (cluster: string) => ClusterGateway;
  readonly fetch: typeof globalThis.fetch;
  readonly signal?: AbortSignal | undefined;
}

export async function inspectSource(deps: SourceDeps, w: Workload): Promise<SourceFacts> {
  const gw = deps.gatewayFor(w.cluster);
  const facts = (image: string | undefined, problem: string | undefined, digests: readonly string[] = [], since?: Date): SourceFacts => ({ cluster: w.cluster, region: w.region, image, digests, problem, since });
  // rollout.ts pulls in the Kubernetes client, which this module's importers (the request path)
  // load only once they talk to a cluster (kube/lazy-gateway.ts): so here, at first use.
  const [{ rolloutState }, status] = await Promise.all([import('../kube/rollout.ts'), gw.status(refOf(w))]);
  const sel = selectContainers(status.containers, deps.config.apps[w.app]?.image ?? '', w.container);
  if (!sel.ok) return facts(undefined, sel.problem);
  const images = [...new Set(sel.containers.map((c) => c.image))];
  if (images.length !== 1) return facts(undefined, `its containers run different images (${images.join(', ')})`);
  const image = images[0];
  const rollout = rolloutState(status);
  if (rollout.phase !== 'complete') return facts(image, `its rollout is not complete (${rollout.message})`);
  if (status.replicas.desired === 0) return facts(image, 'it runs no pods (scaled to 0)');
  const names = new Set(sel.containers.map((c) => c.name));
  const pods = await gw.pods(refOf(w));
  const runs = pods.flatMap((p) => p.containers.filter((c) => names.has(c.name)));
  const digests = [...new Set(runs.flatMap((c) => (c.digest === undefined ? [] : [c.digest])))].sort();
  const starts = pods.map((p) => p.startedAt?.getTime()).filter((t): t is number => t !== undefined);
  const since = starts.length === 0 ? undefined : new Date(Math.min(...starts));
  const unknown = runs.filter((c) => c.digest === undefined).length;
  if (unknown > 0) return facts(image, `${unknown} container(s) in its pods report no image digest yet`, digests, since);
  const probe = deps.config.apps[w.app]?.probe;
  if (probe !== undefined) {
    const r = await runProbe(probe, { region: w.region, cluster: w.cluster, app: w.app, env: w.env }, { fetch: deps.fetch, ...(deps.signal === undefined ? {} : { signal: deps.signal }) });
    if (!r.ok) return facts(image, `its probe fails: ${r.problem}`, digests, since);
  }
  return facts(image, undefined, digests, since);
}

export type PromotionPlan = { readonly ok: true; readonly image: string; readonly promotion: PromotionSource } | { readonly ok: false; readonly reason: string; readonly table: readonly string[] };

/** What the targets take from the source environment's workloads, read now. */
export async function planPromotion(deps: SourceDeps, from: string, targets: readonly Place[], sources: readonly Workload[]): Promise<PromotionPlan> {
  const facts = await Promise.all(sources.map((w) => inspectSource(deps, w)));
  const choice = choosePromotion(from, targets, facts);
  if (!choice.ok) return choice;
  const used = new Set(choice.value.sources.map((s) => s.cluster));
  return {
    ok: true,
    image: choice.value.image,
    promotion: {
      from,
      digest: choice.value.digest,
      ...(choice.value.since === undefined ? {} : { since: choice.value.since.toISOString() }),
      sources: sources.filter((w) => used.has(w.cluster)).map((w) => ({ workload: w, image: facts.find((f) => f.cluster === w.cluster)?.image ?? '' })),
    },
  };
}

/**
 * Why a promotion may not run now, or undefined: every source it took from must still run the
 * bound digest and be healthy; otherwise what was approved is no longer what the source runs.
 */
export async function promotionBlock(deps: SourceDeps, p: PromotionSource): Promise<string | undefined> {
  const facts = await Promise.all(p.sources.map((s) => inspectSource(deps, s.workload)));
  const problems = facts.flatMap((f) => {
    if (f.problem !== undefined) return [`${p.from} on ${f.cluster} is not healthy: ${f.problem}`];
    if (f.digests.length !== 1 || f.digests[0] !== p.digest) {
      return [`${p.from} on ${f.cluster} no longer runs ${shortDigest(p.digest)} (it runs ${f.digests.map(shortDigest).join(' and ') || 'nothing with a digest'})`];
    }
    return [];
  });
  if (problems.length === 0) return undefined;
  return `${problems.join('; ')}. Nothing was changed: request the promotion again to promote what ${p.from} runs now`;
}
