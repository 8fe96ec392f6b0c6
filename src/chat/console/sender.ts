import type { ChannelSender, SendOutcome } from '../../notify/outbox.ts';
import type { ConsoleStore } from './store.ts';

/**
 * The outbox's sender for "console:<name>" channels: the neutral message is stored as it is
 * (the page renders it), so there are no platform limits and no overflow. An upsert edits the
 * entry it posted before (the outbox hands back that entry's id as `ref`). Only Redis can fail
 * here, and that is worth a retry.
 */
export const CONSOLE_PACE_MS = 20;

export function createConsoleSender(store: ConsoleStore): ChannelSender {
  return {
    paceMs: CONSOLE_PACE_MS,
    async deliver(item, ctx): Promise<SendOutcome> {
      try {
        const channel = item.channel;
        if (item.kind === 'upsert') {
          const e = await store.putBot(channel, item.message, { replace: ctx.ref, threadOf: ctx.ref === undefined ? ctx.threadRef : undefined });
          return { kind: 'sent', ref: e.id };
        }
        const e = await store.putBot(channel, item.message, { threadOf: ctx.threadRef, raw: item.raw });
        return { kind: 'sent', ref: e.id };
      } catch (e) {
        return { kind: 'transient', error: e instanceof Error ? e.message : String(e) };
      }
    },
  };
}
