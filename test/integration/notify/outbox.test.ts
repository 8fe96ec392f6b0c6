import { describe, expect, it } from 'vitest';
import { message } from '../../../src/core/message.ts';
import { Outbox, runOutbox, type ChannelSender, type OutboxItem, type SendOutcome } from '../../../src/notify/outbox.ts';
import { testRedis } from '../support/redis.ts';
import { waitFor } from '../support/workloads.ts';

/**
 * The outbox on the real Redis with a scripted sender (the platform clients are tested against
 * their fakes elsewhere): order per channel, pacing, Retry-After, retries, coalescing, and
 * nothing lost when the process sending is replaced.
 */
const { redis, root } = testRedis('outbox');

interface Sent {
  readonly channel: string;
  readonly kind: OutboxItem['kind'];
  readonly title: string;
  readonly ref: string | undefined;
  readonly at: number;
}

function scripted(paceMs: number, script: (item: OutboxItem, n: number) => SendOutcome | undefined = () => undefined): { sender: ChannelSender; sent: Sent[]; attempts: number } {
  const state = { sent: [] as Sent[], attempts: 0, sender: undefined as unknown as ChannelSender };
  let refs = 0;
  state.sender = {
    paceMs,
    deliver(item, ctx) {
      state.attempts++;
      const forced = script(item, state.attempts);
      if (forced !== undefined) return Promise.resolve(forced);
      const ref = ctx.ref ?? `m${++refs}`;
      state.sent.push({ channel: item.channel, kind: item.kind, title: item.message.title, ref: ctx.ref, at: Date.now() });
      return Promise.resolve({ kind: 'sent', ref });
    },
  };
  return state;
}

let n = 0;
function outbox(): Outbox {
  return new Outbox({ redis, prefix: `${root}${++n}:`, backoffMs: 20, maxBackoffMs: 200 });
}

describe('outbox', () => {
  it('sends each channel in order, paced per channel, channels side by side', async () => {
    const o = outbox();
    const s = scripted(100);
    for (let i = 0; i < 5; i++) for (const c of ['t:a', 't:b']) await o.post(c, message(`${c} ${i}`, 'info'));
    const run = runOutbox(o, { t: s.sender }, { idleMs: 10 });
    await waitFor('10 sends', () => (s.sent.length >= 10 ? true : undefined), 10_000, 20);
    await run.stop();
    for (const c of ['t:a', 't:b']) {
      const mine = s.sent.filter((x) => x.channel === c);
      expect(mine.map((x) => x.title)).toEqual([0, 1, 2, 3, 4].map((i) => `${c} ${i}`));
      for (let i = 1; i < mine.length; i++) expect((mine[i]?.at ?? 0) - (mine[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(90);
    }
    expect(await o.pending('t:a')).toBe(0);
  });

  it('honours Retry-After and retries transient failures without losing or reordering', async () => {
    const o = outbox();
    const s = scripted(5, (_item, attempt) => (attempt % 3 === 1 ? { kind: 'rate_limited', retryAfterMs: 150 } : attempt % 3 === 2 ? { kind: 'transient', error: 'HTTP 500' } : undefined));
    for (let i = 0; i < 6; i++) await o.post('t:c', message(`m${i}`, 'info'));
    const run = runOutbox(o, { t: s.sender }, { idleMs: 10 });
    await waitFor('6 sends', () => (s.sent.length >= 6 ? true : undefined), 15_000, 20);
    await run.stop();
    expect(s.sent.map((x) => x.title)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    expect(s.attempts).toBe(18);
  });

  it('posts an upsert once, then edits it; waiting upserts of one key coalesce into the newest', async () => {
    const o = outbox();
    const s = scripted(200);
    await o.upsert('t:d', 'op:1', message('v1', 'running'));
    const run = runOutbox(o, { t: s.sender }, { idleMs: 10 });
    await waitFor('the post', () => (s.sent.length >= 1 ? true : undefined), 5000, 10);
    for (let i = 2; i <= 9; i++) await o.upsert('t:d', 'op:1', message(`v${i}`, 'running'));
    await waitFor('the edit', () => (s.sent.some((x) => x.title === 'v9') ? true : undefined), 5000, 10);
    await new Promise((r) => setTimeout(r, 400));
    await run.stop();
    expect(s.sent[0]).toMatchObject({ title: 'v1', ref: undefined });
    expect(s.sent.slice(1).every((x) => x.ref === 'm1')).toBe(true);
    expect(s.sent.length).toBeLessThanOrEqual(3);
    expect(s.sent.at(-1)?.title).toBe('v9');
    expect(await o.ref('t:d', 'op:1')).toBe('m1');
  });

  it('a repeated post id is queued once; a permanent error sets the item aside and the channel moves on', async () => {
    const o = outbox();
    const s = scripted(5, (item) => (item.message.title === 'bad' ? { kind: 'permanent', error: 'channel_not_found' } : undefined));
    await o.post('t:e', message('once', 'info'), { dedupeId: 'x1' });
    await o.post('t:e', message('once', 'info'), { dedupeId: 'x1' });
    await o.post('t:e', message('bad', 'info'));
    await o.post('t:e', message('after', 'info'));
    const run = runOutbox(o, { t: s.sender }, { idleMs: 10 });
    await waitFor('2 sends', () => (s.sent.length >= 2 ? true : undefined), 5000, 10);
    await run.stop();
    expect(s.sent.map((x) => x.title)).toEqual(['once', 'after']);
    const dead = await o.dead();
    expect(dead.map((d) => [d.item.message.title, d.error])).toEqual([['bad', 'channel_not_found']]);
  });

  it('loses nothing when the sending process stops mid-way and another takes over', async () => {
    const o = outbox();
    const first = scripted(50);
    for (let i = 0; i < 8; i++) await o.post('t:f', message(`m${i}`, 'info'));
    const a = runOutbox(o, { t: first.sender }, { idleMs: 10 });
    await waitFor('3 sends', () => (first.sent.length >= 3 ? true : undefined), 5000, 10);
    await a.stop();
    const second = scripted(50);
    const b = runOutbox(new Outbox({ redis, prefix: `${root}${n}:` }), { t: second.sender }, { idleMs: 10 });
    await waitFor('the rest', () => (first.sent.length + second.sent.length >= 8 ? true : undefined), 5000, 10);
    await b.stop();
    expect([...first.sent, ...second.sent].map((x) => x.title)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => `m${i}`));
  });
});
