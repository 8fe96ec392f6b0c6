import { parseImageRef, repositoryOf } from './image-ref.ts';

/**
 * What a promotion takes from its source environment, decided from what each source cluster
 * runs (read when the request is made). Each target cluster takes the digest of the source
 * cluster in its own region, or, when the source has none there, the one digest all source
 * clusters agree on. A promotion carries one image: when the sources it would take from run
 * different digests, it is refused with the table of what runs where. Pure.
 */
export interface SourceFacts {
  readonly cluster: string;
  readonly region: string;
  /** The image the workload's pod template names for the app's container. */
  readonly image: string | undefined;
  /** The distinct digests its running pods report for that container (sorted). */
  readonly digests: readonly string[];
  /** Why it does not count as healthy (rollout not complete, probe failing), if it doesn't. */
  readonly problem: string | undefined;
  /** Since when its pods have run (the earliest start among them). */
  readonly since: Date | undefined;
}

export interface Place {
  readonly cluster: string;
  readonly region: string;
}

export interface PromotionPick {
  readonly digest: string;
  /** The image to deploy: the source's repository and tag, pinned to the digest. */
  readonly image: string;
  /** The source clusters the targets take from. */
  readonly sources: readonly SourceFacts[];
  /** Since when all of those have run it. */
  readonly since: Date | undefined;
}

export type PromotionChoice = { readonly ok: true; readonly value: PromotionPick } | { readonly ok: false; readonly reason: string; readonly table: readonly string[] };

/** The source clusters a target takes from: its region's, else all of them. */
export function sourcesFor(target: Place, sources: readonly SourceFacts[]): SourceFacts[] {
  const local = sources.filter((s) => s.region === target.region);
  return local.length > 0 ? local : [...sources];
}

export function shortDigest(digest: string): string {
  return digest.replace(/^(sha256:[a-f0-9]{12})[a-f0-9]+$/, '$1…');
}

/** "2026-12-06 19:40 UTC". */
export function utcMinute(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** One line per source cluster: what it runs and whether it is healthy. */
export function sourceTable(sources: readonly SourceFacts[]): string[] {
  return [...sources]
    .sort((a, b) => a.cluster.localeCompare(b.cluster))
    .map((s) => {
      const digests = s.digests.length === 0 ? 'no digest reported' : s.digests.map(shortDigest).join(' and ');
      const state = s.problem === undefined ? (s.since === undefined ? 'healthy' : `healthy, since ${utcMinute(s.since)}`) : s.problem;
      return `${s.cluster} (${s.region}): ${s.image ?? 'no image'} = ${digests}; ${state}`;
    });
}

/** The image pinned to a digest, keeping repository and tag: `repo:tag@sha256:…`. */
export function pinnedImage(image: string, digest: string): string | undefined {
  const r = parseImageRef(image);
  if (!r.ok) return undefined;
  return `${repositoryOf(r.value)}${r.value.tag === undefined ? '' : `:${r.value.tag}`}@${digest}`;
}

export function choosePromotion(from: string, targets: readonly Place[], sources: readonly SourceFacts[]): PromotionChoice {
  const table = sourceTable(sources);
  if (sources.length === 0) return { ok: false, reason: `${from} has no cluster running the app.`, table };
  const used = new Map<string, SourceFacts>();
  for (const t of targets) for (const s of sourcesFor(t, sources)) used.set(s.cluster, s);
  const picked = [...used.values()].sort((a, b) => a.cluster.localeCompare(b.cluster));
  const sick = picked.find((s) => s.problem !== undefined);
  if (sick !== undefined) return { ok: false, reason: `${from} is not healthy on ${sick.cluster}: ${sick.problem ?? ''}.`, table };
  const mixed = picked.find((s) => s.digests.length !== 1);
  if (mixed !== undefined) {
    const what = mixed.digests.length === 0 ? 'its pods report no image digest' : `its pods run ${mixed.digests.length} different digests`;
    return { ok: false, reason: `${from} is not on one image on ${mixed.cluster}: ${what}.`, table };
  }
  const digests = new Set(picked.map((s) => s.digests[0]));
  if (digests.size > 1) {
    return {
      ok: false,
      reason: `${from} runs different images on ${picked.map((s) => s.cluster).join(' and ')}, and a promotion takes one. Promote one cluster at a time (cluster=<name> takes its region's image), or bring ${from} onto one image first.`,
      table,
    };
  }
  const digest = picked[0]?.digests[0] ?? '';
  const base = picked.find((s) => s.image !== undefined)?.image ?? '';
  const image = pinnedImage(base, digest);
  if (image === undefined) return { ok: false, reason: `${from} runs "${base}", which is not an image reference the bot can pin.`, table };
  const times = picked.map((s) => s.since?.getTime()).filter((t): t is number => t !== undefined);
  return { ok: true, value: { digest, image, sources: picked, since: times.length === 0 ? undefined : new Date(Math.max(...times)) } };
}

/** The sentence an approval request and the live message carry. */
export function promotionText(from: string, image: string, since: Date | undefined): string {
  return `Promoting what ${from} has run${since === undefined ? '' : ` since ${utcMinute(since)}`}: ${image}.`;
}
