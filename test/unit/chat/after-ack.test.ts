import { describe, expect, it } from 'vitest';
import { MAX_CARRIED_AT_ONCE, afterAck, afterAckCounts } from '../../../src/chat/after-ack.ts';
import { createMetrics } from '../../../src/server/metrics.ts';

async function inProgress(text: Promise<string>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const m of (await text).matchAll(/^chatops_chat_requests_in_progress\{state="(\w+)"\} (\d+)$/gm)) out[m[1] as string] = Number(m[2]);
  return out;
}

describe('afterAck', () => {
  it(`carries out at most ${MAX_CARRIED_AT_ONCE} requests at once, the rest in the order they came`, async () => {
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const releases: (() => void)[] = [];
    const all = Array.from({ length: 40 }, (_, i) =>
      afterAck(async () => {
        started.push(i);
        running++;
        most = Math.max(most, running);
        await new Promise<void>((r) => releases.push(r));
        running--;
        return i;
      }),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(afterAckCounts()).toEqual({ active: MAX_CARRIED_AT_ONCE, pending: 40 - MAX_CARRIED_AT_ONCE });
    // /metrics says the same.
    const metrics = createMetrics(undefined);
    expect(await inProgress(metrics.registry.metrics())).toEqual({ active: MAX_CARRIED_AT_ONCE, waiting: 40 - MAX_CARRIED_AT_ONCE });
    // Let them finish one at a time; each frees a place for the next in line.
    while (releases.length > 0 || started.length < 40) {
      releases.shift()?.();
      await new Promise((r) => setTimeout(r, 0));
    }
    expect(await Promise.all(all)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(most).toBe(MAX_CARRIED_AT_ONCE);
    expect(started).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(afterAckCounts()).toEqual({ active: 0, pending: 0 });
    expect(await inProgress(metrics.registry.metrics())).toEqual({ active: 0, waiting: 0 });
  });
});
