import { tagOf, type ContainerImage } from './images.ts';

/**
 * A workload's revision history as the bot sees it, and the pure choice of which revision a
 * rollback goes to. Deployments keep revisions on ReplicaSets
 * (`deployment.kubernetes.io/revision`), StatefulSets on ControllerRevisions (`.revision`).
 */
export interface RevisionInfo {
  readonly revision: number;
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
  | { readonly ok: true; readonly from: RevisionInfo; readonly to: RevisionInfo; readonly noop: boolean }
  | { readonly ok: false; readonly problem: string };

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

export function selectRevision(revisions: readonly RevisionInfo[], target: RevisionTarget): RevisionChoice {
  const sorted = [...revisions].sort((a, b) => a.revision - b.revision);
  const current = sorted.find((r) => r.current);
  if (current === undefined) return { ok: false, problem: 'its current revision is not known yet (is a rollout just starting?)' };
  const known = sorted.map((r) => r.revision).join(', ');
  switch (target.kind) {
    case 'previous': {
      const before = sorted.filter((r) => r.revision < current.revision).at(-1);
      if (before === undefined) return { ok: false, problem: `there is no revision before the current one (${describe(current)})` };
      return { ok: true, from: current, to: before, noop: false };
    }
    case 'revision': {
      const found = sorted.find((r) => r.revision === target.revision);
      if (found === undefined) return { ok: false, problem: `it has no revision ${target.revision} (revisions kept: ${known})` };
      return { ok: true, from: current, to: found, noop: found.revision === current.revision };
    }
    case 'tag': {
      const runs = (r: RevisionInfo) => r.images.some((c) => tagOf(c.image) === target.tag);
      if (runs(current)) return { ok: true, from: current, to: current, noop: true };
      // The newest revision that ran that tag.
      const found = sorted.filter(runs).at(-1);
      if (found === undefined) return { ok: false, problem: `no kept revision runs tag ${target.tag} (revisions kept: ${sorted.map(describe).join('; ')})` };
      return { ok: true, from: current, to: found, noop: false };
    }
  }
}
