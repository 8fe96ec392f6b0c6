import { describe, expect, it } from 'vitest';
import { createConsoleSender } from '../../../src/chat/console/sender.ts';
import { createConsoleStore, KEEP_PER_CHANNEL } from '../../../src/chat/console/store.ts';
import { message } from '../../../src/core/message.ts';
import { Outbox, runOutbox } from '../../../src/notify/outbox.ts';
import { testRedis } from '../support/redis.ts';
import { waitFor } from '../support/workloads.ts';

/**
 * The console as an outbox platform, on the real Redis: posts appear in order, an upsert edits
 * its entry in place (same id, same place, a higher revision), replies hang under the message
 * they belong to, and a channel keeps its newest entries only.
 */
const { redis, root } = testRedis('console-store');

describe('console channels through the outbox', () => {
  it('posts in order, upserts in place, replies in the thread', async () => {
    const store = createConsoleStore(redis, root);
    const outbox = new Outbox({ redis, prefix: root });
    const sending = runOutbox(outbox, { console: createConsoleSender(store) }, { idleMs: 20 });
    try {
      const ch = 'console:ops';
      await outbox.post(ch, message('first', 'info'));
      await outbox.upsert(ch, 'op:1', message('op 1: awaiting approval', 'needs_approval'));
      await outbox.post(ch, message('second', 'info'));
      await waitFor('three entries', async () => ((await store.list(ch)).length === 3 ? true : undefined), 5000, 20);
      const op = (await store.list(ch))[1]!;
      await outbox.upsert(ch, 'op:1', message('op 1: running', 'running'));
      await outbox.upsert(ch, 'op:1', message('op 1: succeeded', 'succeeded'));
      await outbox.post(ch, message('reminder', 'needs_approval'), { threadKey: 'op:1' });
      await waitFor('the edit and the reply', async () => {
        const l = await store.list(ch);
        return l.length === 4 && l[1]?.kind === 'bot' && l[1].message.status === 'succeeded' ? l : undefined;
      }, 5000, 20);
      const list = await store.list(ch);
      expect(list.map((e) => (e.kind === 'bot' ? e.message.title : ''))).toEqual(['first', 'op 1: succeeded', 'second', 'reminder']);
      expect(list[1]!.id).toBe(op.id);
      expect(list[1]!.revision).toBeGreaterThan(1);
      expect(list[3]).toMatchObject({ kind: 'bot', threadOf: op.id });
      expect(await store.channels()).toContain(ch);
    } finally {
      await sending.stop();
    }
  });

  it(`keeps the newest ${KEEP_PER_CHANNEL} entries of a channel`, async () => {
    const store = createConsoleStore(redis, root);
    const ch = 'console:busy';
    for (let i = 0; i < KEEP_PER_CHANNEL + 5; i++) await store.putSaid(ch, 'alice', `line ${i}`);
    const list = await store.list(ch, 1000);
    expect(list).toHaveLength(KEEP_PER_CHANNEL);
    expect(list[0]).toMatchObject({ kind: 'said', text: 'line 5' });
    expect(list.at(-1)).toMatchObject({ kind: 'said', text: `line ${KEEP_PER_CHANNEL + 4}` });
    expect(await redis.hlen(`${root}console:msgs:${ch}`)).toBe(KEEP_PER_CHANNEL);
  });
});
