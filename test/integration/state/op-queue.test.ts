import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { createOpQueue, type NewEntry, type OpQueue } from '../../../src/jobs/op-queue.ts';
import { Operations, type OpRecord } from '../../../src/jobs/operations.ts';
import { passGate, type GateDeps } from '../../../src/jobs/queue-gate.ts';
import { testRedis } from '../support/redis.ts';

/**
 * The operation queue on a real Redis: order, the front for rollbacks, paused operations,
 * supersession, expiry, and the gate that ties entries to operation records and jobs. Each test
 * has its own key prefix; workloads are named w1, w2, … within it.
 */
const { redis, root } = testRedis('op-queue');
const queues: Queue[] = [];
afterAll(async () => {
  for (const q of queues) await q.close();
});

interface World {
  readonly q: OpQueue;
  readonly ops: Operations;
  readonly jobs: Queue;
  readonly gate: GateDeps;
  readonly audits: string[];
  add(id: string, at: number, workloads: string[], extra?: Partial<NewEntry>): Promise<{ created: boolean; superseded: string[] }>;
  record(id: string, status?: OpRecord['status']): Promise<void>;
  go(id: string, now?: number): Promise<string>;
}

function world(): World {
  const prefix = `${root}${randomUUID().slice(0, 8)}:`;
  const q = createOpQueue(redis, prefix);
  const ops = new Operations(redis, prefix);
  const jobs = new Queue('operations', { connection: redis, prefix: `${prefix}bull` });
  queues.push(jobs);
  const audits: string[] = [];
  const gate: GateDeps = { queue: q, ops, jobs, clock: () => new Date(1_000_000), audit: (e) => {
      audits.push(`${e.kind} ${e.opId}`);
      return Promise.resolve();
    } };
  return {
    q,
    ops,
    jobs,
    gate,
    audits,
    async add(id, at, workloads, extra = {}) {
      const r = await q.register({ opId: id, score: at, kind: 'deploy', rollback: false, workloads, group: '', expiresAt: 0, what: `${id} by alice`, job: id, since: 1_000_000, ...extra });
      return { created: r.created, superseded: r.superseded.map((e) => e.opId) };
    },
    async record(id, status = 'queued') {
      await ops.create({ id, kind: 'deploy', status, env: 'test', app: 'web', requestedBy: 'alice', approvedBy: [], summary: id, traceId: 't', createdAt: new Date(0).toISOString(), updatedAt: new Date(0).toISOString() });
    },
    /** tryStart's answer as one word: go, or "wait:<ids>", or the end state. */
    async go(id, now = 1_000_000) {
      const r = await q.tryStart(id, id, now);
      return r.kind === 'wait' ? `wait:${r.behind.map((b) => b.opId).join(',')}` : r.kind;
    },
  };
}

describe('operation queue', () => {
  it('first in, first out per workload; release wakes the next', async () => {
    const w = world();
    await w.add('a', 1, ['w1']);
    await w.add('b', 2, ['w1']);
    expect(await w.go('b')).toBe('wait:a');
    expect(await w.go('a')).toBe('go');
    expect(await w.go('b')).toBe('wait:a');
    expect(await w.q.release('a')).toEqual(['b']);
    expect(await w.go('b')).toBe('go');
  });

  it('is one global order: no two operations wait on each other', async () => {
    const w = world();
    // x (w1, w2) waits for approval; y (w2) and z (w1, w2) come later.
    await w.add('x', 1, ['w1', 'w2']);
    await w.add('y', 2, ['w2']);
    await w.add('z', 3, ['w1', 'w2']);
    expect(await w.go('y')).toBe('wait:x');
    expect(await w.go('z')).toBe('wait:x,y');
    expect(await w.go('x')).toBe('go');
    await w.q.release('x');
    expect(await w.go('z')).toBe('wait:y');
    expect(await w.go('y')).toBe('go');
    await w.q.release('y');
    expect(await w.go('z')).toBe('go');
  });

  it('a repeated registration finds the first', async () => {
    const w = world();
    expect((await w.add('a', 1, ['w1'])).created).toBe(true);
    expect((await w.add('a', 5, ['w1', 'w2'])).created).toBe(false);
    expect((await w.q.get('a'))?.workloads).toEqual(['w1']);
  });

  it('a rollback goes to the front: behind the running one, ahead of every waiting one, after earlier rollbacks', async () => {
    const w = world();
    await w.add('run', 1, ['w1']);
    expect(await w.go('run')).toBe('go');
    await w.add('b', 2, ['w1']);
    await w.add('c', 3, ['w1', 'w2']);
    await w.add('r1', 10, ['w1'], { rollback: true, kind: 'rollback' });
    await w.add('r2', 11, ['w1', 'w2'], { rollback: true, kind: 'rollback' });
    expect(await w.go('r1')).toBe('wait:run');
    expect(await w.go('r2')).toBe('wait:run,r1');
    expect(await w.go('b')).toBe('wait:run,r1,r2');
    const scores = await Promise.all(['run', 'r1', 'r2', 'b', 'c'].map(async (id) => (await w.q.get(id))?.score ?? NaN));
    expect([...scores].sort((x, y) => x - y)).toEqual(scores);
  });

  it('a paused operation keeps only what it still has to change; a rollback is not held up by it', async () => {
    const w = world();
    await w.add('up', 1, ['w1', 'w2', 'w3'], { kind: 'upgrade' });
    expect(await w.go('up')).toBe('go');
    await w.add('d1', 2, ['w1']);
    await w.add('d2', 3, ['w2']);
    expect(await w.go('d1')).toBe('wait:up');
    // Batch 1 (w1) done: it pauses keeping w2 and w3; d1 is woken.
    expect(await w.q.release('up', ['w2', 'w3'])).toEqual(expect.arrayContaining(['d1', 'd2']));
    expect(await w.go('d1')).toBe('go');
    expect(await w.go('d2')).toBe('wait:up');
    await w.add('rb', 4, ['w3'], { rollback: true, kind: 'rollback' });
    expect(await w.go('rb')).toBe('go');
    // Continue: the upgrade waits again, behind the rollback that came in meanwhile.
    await w.q.resume('up', { job: 'up-d1', workloads: ['w2', 'w3'], rollback: false, expiresAt: 0 });
    expect(await w.go('up')).toBe('wait:rb');
    await w.q.release('rb');
    expect(await w.go('up')).toBe('go');
    expect((await w.q.get('up'))?.job).toBe('up');
  });

  it('a decision that comes in while the paused job is still saying so wins: that job\'s pause is ignored', async () => {
    const w = world();
    await w.add('up', 1, ['w1', 'w2'], { kind: 'upgrade' });
    expect(await w.go('up')).toBe('go');
    await w.add('d', 2, ['w1']);
    expect(await w.q.resume('up', { job: 'up-d1', workloads: ['w2'], rollback: false, expiresAt: 0 })).toMatchObject({ state: 'waiting', job: 'up-d1', workloads: ['w2'] });
    expect(await w.q.release('up', ['w1', 'w2'], 'up')).toEqual([]);
    expect((await w.q.get('up'))?.state).toBe('waiting');
    expect(await w.go('d')).toBe('go');
  });

  it('a newer deploy supersedes older unstarted ones of its group that it covers, never a running one', async () => {
    const w = world();
    const g = { group: 'deploy|staging|web' };
    await w.add('d1', 1, ['w1', 'w2'], g);
    expect(await w.go('d1')).toBe('go');
    await w.add('d2', 2, ['w1', 'w2'], g);
    await w.add('d3', 3, ['w1'], g);
    await w.add('other', 4, ['w1'], { group: 'deploy|staging|api' });
    // d4 covers w1 only: d3 (w1) goes, d2 (w1, w2) stays.
    expect((await w.add('d4', 5, ['w1'], g)).superseded).toEqual(['d3']);
    expect((await w.add('d5', 6, ['w1', 'w2'], g)).superseded).toEqual(['d2', 'd4']);
    expect(await w.go('d3')).toBe('superseded');
    expect((await w.q.get('d3'))?.by).toBe('d4');
    expect(await w.go('d5')).toBe('wait:d1,other');
  });

  it('two deploys asked for in the same millisecond: the one registered last supersedes the other; one slow to arrive is superseded by the newer one already there', async () => {
    const w = world();
    const g = { group: 'deploy|staging|web' };
    await w.add('busy', 1, ['w1'], g);
    expect(await w.go('busy')).toBe('go');
    await w.add('same1', 5, ['w1'], g);
    expect((await w.add('same2', 5, ['w1'], g)).superseded).toEqual(['same1']);
    // Asked for at 4 but registered after same2 (asked for at 5): it never waits in line.
    expect((await w.add('late', 4, ['w1'], g)).superseded).toEqual([]);
    expect(await w.q.get('late')).toMatchObject({ state: 'superseded', by: 'same2' });
    expect(await w.go('late')).toBe('superseded');
    expect(await w.go('same2')).toBe('wait:busy');
  });

  it('an entry past its expiry holds nobody up and ends itself', async () => {
    const w = world();
    await w.add('old', 1, ['w1'], { expiresAt: 500 });
    await w.add('new', 2, ['w1']);
    expect(await w.go('new', 1000)).toBe('go');
    expect(await w.go('old', 1000)).toBe('expired');
  });

  it('the gate takes ended and dead operations off the queue, so the next in line goes on', async () => {
    const w = world();
    await w.add('done', 1, ['w1']);
    await w.record('done');
    await w.go('done');
    await w.ops.update('done', { status: 'succeeded' }, new Date(0));
    await w.add('dead', 2, ['w2']);
    await w.record('dead', 'running');
    await w.go('dead'); // running, but its job ("dead") is in no BullMQ state: the worker is gone for good
    await w.add('next', 3, ['w1', 'w2']);
    await w.record('next');
    expect(await passGate(w.gate, 'next', 'next')).toEqual({ kind: 'go', waited: true });
    expect((await w.ops.get('dead'))?.status).toBe('failed');
    expect(w.audits).toEqual(['failed dead']);
    expect(await w.q.get('done')).toBeUndefined();
  });

  it('the gate waits on a live job, and on an operation whose record is about to be written', async () => {
    const w = world();
    await w.add('live', 1, ['w1']);
    await w.record('live', 'running');
    await w.jobs.add('deploy', {}, { jobId: 'live', delay: 60_000 });
    await w.go('live');
    await w.add('young', 2, ['w2']); // no record yet, put in the queue just now
    await w.add('next', 3, ['w1', 'w2']);
    await w.record('next');
    const g = await passGate(w.gate, 'next', 'next');
    expect(g.kind === 'wait' ? g.behind.map((b) => b.entry.opId) : g).toEqual(['live', 'young']);
  });

  it('an operation that ended is never started, even with its entry gone', async () => {
    const w = world();
    await w.record('gone', 'cancelled');
    expect((await passGate(w.gate, 'gone', 'gone')).kind).toBe('ended');
  });
});
