import { describe, expect, it } from 'vitest';
import type { HealthFact, RevisionHealth } from '../../../src/kube/revision-health.ts';
import { verdictOf } from '../../../src/kube/revision-health.ts';
import { parseRevisionTarget, selectRevision, type RevisionInfo, type RevisionTarget } from '../../../src/kube/revisions.ts';

/** A revision of web; `key` defaults to the tag (a rollback reuses the template, so the key follows the tag). */
function rev(revision: number, tag: string, current = false, options: { key?: string; born?: number; registry?: string } = {}): RevisionInfo {
  return {
    revision,
    key: options.key ?? `hash-${tag}`,
    images: [
      { name: 'web', image: `${options.registry ?? 'registry.example.com'}/web:${tag}` },
      { name: 'proxy', image: 'registry.example.com/proxy:1.0' },
    ],
    createdAt: options.born === undefined ? undefined : new Date(Date.UTC(2025, 0, 1, 10, options.born)),
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

// ---- with what the bot knows of each revision's health ------------------------------------

const at = (minute: number): Date => new Date(Date.UTC(2025, 0, 1, 10, minute));
const fact = (state: HealthFact['state'], minute: number, opId?: string): HealthFact => ({ state, at: at(minute), ...(opId === undefined ? {} : { opId }) });
const health = (entries: Record<string, RevisionHealth>) => new Map(Object.entries(entries));

describe('verdictOf', () => {
  it.each<[string, RevisionHealth | undefined, string]>([
    ['nothing known', undefined, 'unknown'],
    ['complete', { complete: fact('complete', 1) }, 'good'],
    ['failed after it completed', { complete: fact('complete', 1), failed: fact('failed', 2) }, 'failed'],
    ['complete again after a failure', { failed: fact('failed', 1), complete: fact('complete', 2) }, 'good'],
    ['undone after completing', { complete: fact('complete', 1), undone: fact('undone', 2) }, 'undone'],
    ['undone after failing: remembered as failed', { failed: fact('failed', 1), undone: fact('undone', 2) }, 'failed'],
    ['deployed again after an undo, and complete', { complete: fact('complete', 3), undone: fact('undone', 2) }, 'good'],
    ['a tie goes to the gloomier fact', { complete: fact('complete', 1), failed: fact('failed', 1) }, 'failed'],
  ])('%s: %s', (_what, h, kind) => {
    expect(verdictOf(h).kind).toBe(kind);
  });
});

describe('selectRevision with health: back, never forward', () => {
  // v1 good (rev 1); v2 broken (rev 2) rolled back automatically: v1 came back as rev 3.
  const afterAutoRollback = [rev(2, 'v2', false, { born: 5 }), rev(3, 'v1', true, { born: 0 })];
  const autoHealth = health({ 'hash-v1': { complete: fact('complete', 7, 'op-a') }, 'hash-v2': { failed: fact('failed', 6, 'op-a'), undone: fact('undone', 6, 'op-a') } });

  it('after an automatic rollback, a plain rollback writes nothing and says why', () => {
    const c = selectRevision(afterAutoRollback, { kind: 'previous' }, { health: autoHealth });
    expect(c.ok && c.noop).toBe(true);
    if (c.ok) expect(c.note).toBe('back on v1 (revision 3) since 10:07 UTC; v2 (revision 2) failed at 10:06 UTC (op-a), rolled back from at 10:06 UTC');
  });

  it('without health facts the old rule holds: the revision below the current one', () => {
    const c = selectRevision(afterAutoRollback, { kind: 'previous' });
    expect(c.ok && [c.to.revision, c.noop, c.unknownHealth]).toEqual([2, false, true]);
  });

  it('a second good deploy, then rollback: lands on the first good one, skipping the failed revision', () => {
    const revs = [rev(2, 'v2', false, { born: 5 }), rev(3, 'v1', false, { born: 0 }), rev(4, 'v3', true, { born: 9 })];
    const h = health({ ...Object.fromEntries(autoHealth), 'hash-v3': { complete: fact('complete', 10) } });
    const c = selectRevision(revs, { kind: 'previous' }, { health: h });
    expect(c.ok && [c.to.revision, c.noop, c.unknownHealth, c.rollForward]).toEqual([3, false, false, undefined]);
  });

  it.each<[string, Record<string, RevisionHealth>, number | string]>([
    ['skips a failed revision for a known-good one', { 'hash-v3': { failed: fact('failed', 9) }, 'hash-v1': { complete: fact('complete', 1) } }, 1],
    ['skips an undone revision (the current one is not good)', { 'hash-v3': { undone: fact('undone', 9) }, 'hash-v1': { complete: fact('complete', 1) } }, 1],
    ['takes a revision of unknown health only when nothing known-good is left', { 'hash-v3': { failed: fact('failed', 9) } }, 1],
    ['prefers a known-good older one to a newer one of unknown health', { 'hash-v1': { complete: fact('complete', 1) } }, 1],
    ['refuses when every earlier revision failed or was undone', { 'hash-v3': { failed: fact('failed', 9) }, 'hash-v1': { undone: fact('undone', 2) } }, 'no earlier revision is known good'],
  ])('previous %s', (_what, h, expected) => {
    // rev 1 v1, rev 3 v3, rev 4 v4 (current, failing); unknown health for v4.
    const revs = [rev(1, 'v1', false, { born: 0 }), rev(3, 'v3', false, { born: 3 }), rev(4, 'v4', true, { born: 8 })];
    const c = selectRevision(revs, { kind: 'previous' }, { health: health(h) });
    if (typeof expected === 'string') {
      expect(c.ok).toBe(false);
      if (!c.ok) expect(c.problem).toContain(expected);
    } else {
      expect(c.ok && c.to.revision).toBe(expected);
    }
  });

  it('an unknown-health choice is marked so the plan can say it', () => {
    const revs = [rev(1, 'v1', false, { born: 0 }), rev(3, 'v3', false, { born: 3 }), rev(4, 'v4', true, { born: 8 })];
    const c = selectRevision(revs, { kind: 'previous' }, { health: health({ 'hash-v3': { failed: fact('failed', 9) } }) });
    expect(c.ok && [c.to.revision, c.unknownHealth, c.verdict.kind]).toEqual([1, true, 'unknown']);
  });

  it.each<[string, RevisionTarget, Record<string, RevisionHealth>, RegExp | undefined]>([
    ['to the broken revision (failed, undone) is a deploy in disguise', { kind: 'revision', revision: 2 }, Object.fromEntries(autoHealth), /v2 \(revision 2\) failed at 10:06/],
    ['to its tag, the same', { kind: 'tag', tag: 'v2' }, Object.fromEntries(autoHealth), /failed at/],
    ['to a revision of unknown health newer than the last known-good one', { kind: 'revision', revision: 2 }, { 'hash-v1': { complete: fact('complete', 7) } }, /newer than the last known-good revision, v1 \(revision 3\)/],
    ['to a revision of unknown health when nothing is known: a plain rollback', { kind: 'revision', revision: 2 }, {}, undefined],
  ])('%s', (_what, target, h, forward) => {
    const c = selectRevision(afterAutoRollback, target, { health: health(h) });
    expect(c.ok).toBe(true);
    if (!c.ok) return;
    expect(c.to.revision).toBe(2);
    if (forward === undefined) expect(c.rollForward).toBeUndefined();
    else expect(c.rollForward).toMatch(forward);
  });

  it('to a known-good older revision is a rollback', () => {
    const revs = [rev(1, 'v1', false, { born: 0 }), rev(2, 'v2', false, { born: 3 }), rev(3, 'v3', true, { born: 6 })];
    const c = selectRevision(revs, { kind: 'revision', revision: 1 }, { health: health({ 'hash-v1': { complete: fact('complete', 1) }, 'hash-v3': { complete: fact('complete', 7) } }) });
    expect(c.ok && [c.to.revision, c.rollForward, c.unknownHealth]).toEqual([1, undefined, false]);
  });

  it('a revision whose image the environment may not pull is a deploy in disguise, whatever its health', () => {
    const revs = [rev(1, 'v1', false, { born: 0, registry: 'docker.io/someone' }), rev(2, 'v2', true, { born: 3 })];
    const c = selectRevision(revs, { kind: 'previous' }, { health: health({ 'hash-v1': { complete: fact('complete', 1) } }), imageAllowed: (image) => image.startsWith('registry.example.com/') });
    expect(c.ok && c.rollForward).toMatch(/docker.io\/someone\/web:v1 is not from a registry the environment allows/);
  });
});
