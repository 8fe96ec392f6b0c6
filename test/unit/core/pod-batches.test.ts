import { describe, expect, it } from 'vitest';
import { commands } from '../../../commands/index.ts';
import { parseCommand } from '../../../src/core/parse.ts';
import { batchPods, parsePodSteps, podBatchesFor, podNames, podPace, type PodView } from '../../../src/core/pod-batches.ts';

/** "partition:hi-lo" per batch, or the problem. */
function resolved(pods: string, replicas: number): string[] | string {
  const parsed = parsePodSteps(pods.split(','));
  if (!parsed.ok) return `parse: ${parsed.problem}`;
  const r = podBatchesFor(parsed.steps, replicas, 'db on gz');
  return r.ok ? r.batches.map((b) => `${b.partition}:${b.hi}-${b.lo}`) : r.problem;
}

describe('pods= resolved to partitions', () => {
  it.each([
    // counts and shares are cumulative, from the highest ordinal down
    ['1,50%,100%', 10, ['9:9-9', '5:8-5', '0:4-0']],
    ['1,50%,100%', 7, ['6:6-6', '3:5-3', '0:2-0']], // 50% of 7 rounds up to 4
    ['2,10', 10, ['8:9-8', '0:7-0']],
    ['100%', 3, ['0:2-0']],
    ['#9,#8-5,#4-0', 10, ['9:9-9', '5:8-5', '0:4-0']],
    ['#2-0', 3, ['0:2-0']],
    // a share that adds nobody on a small cluster is an empty batch there (it lines up with the others)
    ['1,5%,100%', 10, ['9:9-9', '9:8-9', '0:8-0']],
    ['20%,100%', 20, ['16:19-16', '0:15-0']],
  ])('%s on %i replicas → %j', (pods, replicas, want) => {
    expect(resolved(pods, replicas)).toEqual(want);
  });

  it.each([
    ['1,50%', 10, 'parse: the last batch must reach 100%'],
    ['1,5', 10, 'the batches reach 5 of the 10 replicas of db on gz'],
    ['5,20%,100%', 10, 'fewer than the 5 updated before it'],
    ['1,12', 10, 'asks for 12 pods, but db on gz has 10 replicas'],
    ['#9,#7-0', 10, 'parse: batch 2 starts at #7, but #8 comes next'],
    ['#9,#8-5,#4-1', 10, 'parse: the last batch must reach #0'],
    ['#8,#7-0', 10, 'the first range must start at #9, not #8'],
    ['#5-9,#4-0', 10, 'parse: #5-9 runs upward'],
    ['#9,50%', 10, "parse: ordinal ranges can't be mixed with counts or shares"],
    ['0,100%', 10, 'parse: a batch of 0 pods moves nothing'],
    ['101%', 10, 'parse: shares are whole numbers from 1% to 100%'],
    ['zone-a', 10, 'parse: "zone-a" is not a count'],
  ])('refuses %s on %i replicas: %s', (pods, replicas, problem) => {
    const r = resolved(pods, replicas);
    expect(typeof r === 'string' ? r : JSON.stringify(r)).toContain(problem);
  });

  it('says what a partition can do when a range is inexpressible', () => {
    expect(resolved('#9,#7-0', 10)).toContain('a partition updates pods from the highest ordinal down');
  });

  it.each([
    [{ partition: 9, hi: 9, lo: 9 }, 'db-9'],
    [{ partition: 5, hi: 8, lo: 5 }, 'db-8…db-5'],
    [{ partition: 7, hi: 8, lo: 7 }, 'db-8, db-7'],
    [{ partition: 9, hi: 8, lo: 9 }, 'no pod'],
  ])('names the pods of %j', (b, want) => {
    expect(podNames('db', b)).toBe(want);
  });

  it.each([
    ['OrderedReady', undefined, 'one at a time'],
    ['Parallel', 3, 'up to 3 pod(s) of a batch at once'],
  ])('pace under %s', (policy, max, want) => {
    expect(podPace(policy, max)).toContain(want);
  });
});

describe('the batch gate on the pods', () => {
  const pod = (o: number, rev: string, ready: boolean, reason?: string): PodView => ({ name: `db-${o}`, ready, reason, message: undefined, revisionHash: rev });
  it.each([
    ['every pod from the top down to the batch at the new revision and Ready', [pod(9, 'new', true), pod(8, 'old', true)], 9, { ok: true, wanted: 1, moved: 1, ready: 1, problems: [] }],
    ['a pod still on the old revision', [pod(9, 'new', true), pod(8, 'old', true)], 8, { ok: false, wanted: 2, moved: 1, ready: 1, problems: ['db-8: still on old'] }],
    ['a new pod crash-looping', [pod(9, 'new', false, 'CrashLoopBackOff')], 9, { ok: false, wanted: 1, moved: 1, ready: 0, problems: ['db-9: CrashLoopBackOff'] }],
    ['a pod not created yet', [], 9, { ok: false, wanted: 1, moved: 0, ready: 0, problems: ['db-9: not created yet'] }],
  ])('%s', (_, pods, lo, want) => {
    expect(batchPods('db', 10, lo, 'new', pods)).toEqual(want);
  });
});

describe('pods= on /deploy', () => {
  it.each([
    ['/deploy db v2 to prod pods=1,50%,100% gate=manual', ['1', '50%', '100%']],
    ['/deploy db v2 to prod pods=#9,#8-5,#4-0', ['#9', '#8-5', '#4-0']],
  ])('%s parses', (line, pods) => {
    const p = parseCommand(line, commands);
    expect(p.ok && p.value.verb === 'deploy' ? p.value.args.pods : p).toEqual(pods);
  });

  it.each([
    ['/deploy db v2 to prod pods=#9,#7-0', 'E_BAD_BATCHES'],
    ['/deploy db v2 to prod pods=1,50% ', 'E_BAD_BATCHES'],
    ['/deploy db v2 to prod pods=1,100% gate=sometimes', 'E_INVALID_ARG'],
    ['/deploy db v2 to prod pods=1,100% gate=auto bake=0s', 'E_BAD_DURATION'],
  ])('%s → %s', (line, code) => {
    const p = parseCommand(line, commands);
    expect(p.ok ? 'parsed' : p.error.code).toBe(code);
  });
});
