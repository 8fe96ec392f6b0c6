import { tagOf, type ContainerImage } from './images.ts';
import { clockOf, describeVerdict, imageLabel, verdictOf, type HealthMap, type Verdict } from './revision-health.ts';

/**
 * A workload's revision history as the bot sees it, and the pure choice of which revision a
 * rollback goes to. Deployments keep revisions on ReplicaSets
 * (`deployment.kubernetes.io/revision`), StatefulSets on ControllerRevisions (`.revision`).
 */
export interface RevisionInfo {
  readonly revision: number;
  /**
   * What stays the same when a rollback brings the revision back under a new number: the
   * ReplicaSet's pod-template-hash, or the ControllerRevision's name. Health is kept by it.
   */
  readonly key: string;
  readonly images: readonly ContainerImage[];
  readonly createdAt: Date | undefined;
  /** The `kubernetes.io/change-cause` annotation, when someone set one. */
  readonly changeCause: string | undefined;
  /** Whether this is the revision the workload runs (or is rolling out) now. */
  readonly current: boolean;
  /** The ReplicaSet or ControllerRevision holding it. */
  readonly source: string;
}

/** Where a rollback goes: the revision before the current one, a number, or an image tag. */
export type RevisionTarget =
  | { readonly kind: 'previous' }
  | { readonly kind: 'revision'; readonly revision: number }
  | { readonly kind: 'tag'; readonly tag: string };

export type RevisionChoice =
  | {
      readonly ok: true;
      readonly from: RevisionInfo;
      readonly to: RevisionInfo;
      /** Nothing to write: `to` is what runs now. */
      readonly noop: boolean;
      /** Why nothing is written, when the last change was already undone ("back on v1 since 10:02 UTC; v2 failed …"). */
      readonly note?: string | undefined;
      /** What the bot knows of `to`. */
      readonly verdict: Verdict;
      /** `to` was never seen complete: taken only because no known-good revision was left, and the plan says so. */
      readonly unknownHealth: boolean;
      /**
       * Set when going to `to` is a deploy in disguise (it failed, was undone, is newer than the
       * last known-good revision, or runs images the environment may not pull): why, in a sentence.
       */
      readonly rollForward?: string | undefined;
    }
  | { readonly ok: false; readonly problem: string };

export interface SelectOptions {
  /** Facts the bot recorded about these revisions, by key; without them every revision's health is unknown. */
  readonly health?: HealthMap | undefined;
  /** Whether the environment may run an image (its registries); a revision with one it may not is rolled forward, not back. */
  readonly imageAllowed?: ((image: string) => boolean) | undefined;
  /** The container people know the revision by (its tag in messages). */
  readonly container?: string | undefined;
}

/** "12" and "rev12" name a revision; anything else is an image tag. */
export function parseRevisionTarget(text: string | undefined): RevisionTarget {
  if (text === undefined || text === '' || text === 'previous') return { kind: 'previous' };
  const m = /^(?:rev(?:ision)?|r|#)?(\d{1,9})$/i.exec(text);
  if (m !== null) return { kind: 'revision', revision: Number(m[1]) };
  return { kind: 'tag', tag: text };
}

function describe(r: RevisionInfo): string {
  return `${r.revision} (${r.images.map((c) => c.image).join(', ')})`;
}

/** Birth order: when the revision was first made (a rollback keeps the creation time, not the number). */
function bornBefore(a: RevisionInfo, b: RevisionInfo): boolean {
  const ta = a.createdAt?.getTime() ?? 0;
  const tb = b.createdAt?.getTime() ?? 0;
  return ta !== tb ? ta < tb : a.revision < b.revision;
}

/**
 * Where a rollback goes, with what the bot knows of each revision's health:
 *
 * - `previous`: the newest earlier revision the bot saw complete; failed and undone revisions
 *   are skipped; one of unknown health only when no known-good one is left (`unknownHealth`).
 *   When the last change was already undone (the one below the current revision failed or was
 *   rolled back from, and the current one completed after that), nothing is written (`note`).
 * - a revision number or tag: that revision. Going there is a deploy in disguise (`rollForward`)
 *   when it failed or was undone, when its health is unknown and it is newer than the last
 *   known-good revision, or when one of its images may not run in the environment.
 */
export function selectRevision(revisions: readonly RevisionInfo[], target: RevisionTarget, options: SelectOptions = {}): RevisionChoice {
  const sorted = [...revisions].sort((a, b) => a.revision - b.revision);
  const current = sorted.find((r) => r.current);
  if (current === undefined) return { ok: false, problem: 'its current revision is not known yet (is a rollout just starting?)' };
  const known = sorted.map((r) => r.revision).join(', ');
  const verdict = (r: RevisionInfo): Verdict => verdictOf(options.health?.get(r.key));
  const label = (r: RevisionInfo): string => `${imageLabel(r.images, options.container)} (revision ${r.revision})`;
  const go = (to: RevisionInfo, extra: { noop?: boolean; note?: string; rollForward?: string | undefined } = {}): RevisionChoice => {
    const v = verdict(to);
    const banned = options.imageAllowed === undefined ? undefined : to.images.find((c) => !(options.imageAllowed as (image: string) => boolean)(c.image));
    const rollForward = extra.rollForward ?? (banned === undefined ? undefined : `its image ${banned.image} is not from a registry the environment allows`);
    return { ok: true, from: current, to, noop: extra.noop ?? false, note: extra.note, verdict: v, unknownHealth: v.kind === 'unknown', rollForward };
  };
  switch (target.kind) {
    case 'previous': {
      const below = sorted.filter((r) => r.revision < current.revision).reverse();
      const top = below[0];
      if (top === undefined) return { ok: false, problem: `there is no revision before the current one (${describe(current)})` };
      const now = verdict(current);
      const last = verdict(top);
      // The last change was already undone: going "back" again would put the bad one back.
      if (now.kind === 'good' && (last.kind === 'failed' || last.kind === 'undone')) {
        const bad = last.kind === 'failed' ? (last.undone ?? last.fact) : last.fact;
        if (now.fact.at.getTime() >= bad.at.getTime()) {
          return go(current, { noop: true, note: `back on ${label(current)} since ${clockOf(now.fact.at)}; ${label(top)} ${describeVerdict(last)}` });
        }
      }
      const good = below.find((r) => verdict(r).kind === 'good');
      if (good !== undefined) return go(good);
      const unknown = below.find((r) => verdict(r).kind === 'unknown');
      if (unknown !== undefined) return go(unknown);
      return {
        ok: false,
        problem: `no earlier revision is known good: ${below.map((r) => `${label(r)} ${describeVerdict(verdict(r))}`).join('; ')}. Name one with "to <revision>" (it is then decided as a deploy)`,
      };
    }
    case 'revision':
    case 'tag': {
      let found: RevisionInfo | undefined;
      if (target.kind === 'revision') {
        found = sorted.find((r) => r.revision === target.revision);
        if (found === undefined) return { ok: false, problem: `it has no revision ${target.revision} (revisions kept: ${known})` };
      } else {
        const runs = (r: RevisionInfo) => r.images.some((c) => tagOf(c.image) === target.tag);
        // The tag running now is a no-op; otherwise the newest revision that ran it.
        found = runs(current) ? current : sorted.filter(runs).at(-1);
        if (found === undefined) return { ok: false, problem: `no kept revision runs tag ${target.tag} (revisions kept: ${sorted.map(describe).join('; ')})` };
      }
      if (found.revision === current.revision) return go(current, { noop: true });
      const v = verdict(found);
      const goods = sorted.filter((r) => verdict(r).kind === 'good');
      const lastGood = goods.reduce<RevisionInfo | undefined>((acc, r) => (acc === undefined || bornBefore(acc, r) ? r : acc), undefined);
      let rollForward: string | undefined;
      if (v.kind === 'failed' || v.kind === 'undone') rollForward = `${label(found)} ${describeVerdict(v)}`;
      else if (v.kind === 'unknown' && lastGood !== undefined && bornBefore(lastGood, found)) {
        rollForward = `${label(found)} is newer than the last known-good revision, ${label(lastGood)}, and the bot never saw it complete`;
      }
      return go(found, { rollForward });
    }
  }
}
