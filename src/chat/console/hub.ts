import type { Redis } from 'ioredis';
import type { ConsoleStore } from './store.ts';

/**
 * Live updates for the pages: one blocking read per API process follows the console's change
 * stream and the operations' change stream, and hands each change to the pages connected to
 * this process. The stream is written by whichever process sends (the outbox's lease holder)
 * or changes an operation (a worker), so every process sees every change.
 */
export interface ConsoleHub {
  /** Calls `fn` with the id of every entry that changes in `channel`. Returns the unsubscribe. */
  onChannel(channel: string, fn: (id: string) => void): () => void;
  /** Calls `fn` when any operation or any console channel changes. */
  onAnything(fn: (what: { op?: string; channel?: string }) => void): () => void;
  start(): void;
  stop(): Promise<void>;
}

export function createConsoleHub(redis: Redis, store: ConsoleStore, opChangesKey: string, onError: (e: unknown) => void): ConsoleHub {
  const byChannel = new Map<string, Set<(id: string) => void>>();
  const anything = new Set<(what: { op?: string; channel?: string }) => void>();
  let reader: Redis | undefined;
  let loop: Promise<void> | undefined;
  let stopped = false;

  const run = async (r: Redis): Promise<void> => {
    // The streams' newest ids now, rather than "$" on every read, so no change falls between two reads.
    const newest = async (key: string) => (await r.xrevrange(key, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
    let ids: [string, string];
    for (;;) {
      try {
        ids = [await newest(store.streamKey), await newest(opChangesKey)];
        break;
      } catch (e) {
        if (stopped) return;
        onError(e);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    while (!stopped) {
      try {
        const res = await r.xread('COUNT', 500, 'BLOCK', 1000, 'STREAMS', store.streamKey, opChangesKey, ...ids);
        for (const [stream, entries] of res ?? []) {
          const last = entries.at(-1)?.[0];
          if (last === undefined) continue;
          if (stream === store.streamKey) {
            ids = [last, ids[1]];
            for (const [, f] of entries) {
              const channel = f[1] ?? '';
              const id = f[3] ?? '';
              for (const fn of byChannel.get(channel) ?? []) fn(id);
              for (const fn of anything) fn({ channel });
            }
          } else {
            ids = [ids[0], last];
            for (const [, f] of entries) for (const fn of anything) fn({ op: f[1] ?? '' });
          }
        }
      } catch (e) {
        if (stopped) break;
        onError(e);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  };

  return {
    onChannel(channel, fn) {
      let set = byChannel.get(channel);
      if (set === undefined) byChannel.set(channel, (set = new Set()));
      set.add(fn);
      return () => {
        set.delete(fn);
        if (set.size === 0) byChannel.delete(channel);
      };
    },
    onAnything(fn) {
      anything.add(fn);
      return () => anything.delete(fn);
    },
    start() {
      if (loop !== undefined) return;
      // XREAD … BLOCK holds its connection: it gets its own.
      reader = redis.duplicate();
      reader.on('error', () => undefined); // reconnects by itself
      loop = run(reader);
    },
    async stop() {
      stopped = true;
      // The blocked read returns within its BLOCK time; disconnecting ends it at once.
      reader?.disconnect();
      await loop;
    },
  };
}
