import { describe, expect, it } from 'vitest';
import { parseRevisionTarget, selectRevision, type RevisionInfo, type RevisionTarget } from '../../../src/kube/revisions.ts';

function rev(revision: number, tag: string, current = false): RevisionInfo {
  return {
    revision,
    images: [
      { name: 'web', image: `registry.example.com/web:${tag}` },
      { name: 'proxy', image: 'registry.example.com/proxy:1.0' },
    ],
    createdAt: undefined,
    changeCause: undefined,
    current,
    source: `web-${revision}`,
  };
}

// Revisions 1..5 minus the pruned 2; the current one is 5. Tag v1 ran in 1 and again in 4.
const history = [rev(4, 'v1'), rev(1, 'v1'), rev(3, 'v3'), rev(5, 'v5', true)];

describe('parseRevisionTarget', () => {
  it.each([
    [undefined, { kind: 'previous' }],
    ['', { kind: 'previous' }],
    ['previous', { kind: 'previous' }],
    ['12', { kind: 'revision', revision: 12 }],
    ['rev12', { kind: 'revision', revision: 12 }],
    ['#3', { kind: 'revision', revision: 3 }],
    ['v1.4.1', { kind: 'tag', tag: 'v1.4.1' }],
    ['2024-01-01', { kind: 'tag', tag: '2024-01-01' }],
  ])('%j → %j', (text, target) => {
    expect(parseRevisionTarget(text)).toEqual(target);
  });
});

describe('selectRevision', () => {
  it.each<[string, RevisionTarget, number, boolean]>([
    ['previous: the highest revision below the current one', { kind: 'previous' }, 4, false],
    ['a named revision', { kind: 'revision', revision: 3 }, 3, false],
    ['the oldest kept revision', { kind: 'revision', revision: 1 }, 1, false],
    ['the current revision: a no-op', { kind: 'revision', revision: 5 }, 5, true],
    ['a tag: the newest revision that ran it', { kind: 'tag', tag: 'v1' }, 4, false],
    ['the tag running now: a no-op', { kind: 'tag', tag: 'v5' }, 5, true],
    ['a tag matched on any container', { kind: 'tag', tag: '1.0' }, 5, true],
  ])('%s', (_what, target, to, noop) => {
    const c = selectRevision(history, target);
    expect(c.ok).toBe(true);
    if (c.ok) expect([c.from.revision, c.to.revision, c.noop]).toEqual([5, to, noop]);
  });

  it.each<[string, readonly RevisionInfo[], RevisionTarget, RegExp]>([
    ['a pruned revision', history, { kind: 'revision', revision: 2 }, /no revision 2 \(revisions kept: 1, 3, 4, 5\)/],
    ['a tag no kept revision ran', history, { kind: 'tag', tag: 'v9' }, /no kept revision runs tag v9/],
    ['previous when only one revision exists', [rev(1, 'v1', true)], { kind: 'previous' }, /no revision before the current one/],
    ['no current revision', [rev(1, 'v1'), rev(2, 'v2')], { kind: 'previous' }, /current revision is not known/],
  ])('refuses %s', (_what, revisions, target, problem) => {
    const c = selectRevision(revisions, target);
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.problem).toMatch(problem);
  });
});
