import { randomUUID } from 'node:crypto';
import { renderText } from '../chat/cli/render-text.ts';
import type { Config } from '../config/schema.ts';
import { handleText } from '../core/handle.ts';
import { localProbes } from '../local/sample-probe.ts';
import { createServices } from '../service/services.ts';
import { submitRequest } from '../service/dispatch.ts';
import { EXIT, prefixFromEnv, redisUrlFrom } from './setup.ts';

/**
 * `chatops run`: one line of chat. With a Redis (config `redis.url` or $REDIS_URL) it goes
 * through the job engine exactly as chat does: queued, sent for approval, or refused; with
 * --wait it follows the operation to its end. Without one it only previews.
 */
export interface RunOptions {
  readonly wait?: boolean;
  /** A delivery id; the same id twice is one request (as chat redeliveries are). */
  readonly delivery?: string;
  readonly timeoutSeconds?: number;
}

const FINAL: ReadonlySet<string> = new Set(['succeeded', 'failed', 'blocked', 'rejected', 'expired', 'cancelled', 'paused']);
/** A paused batch upgrade waits for a decision: the command itself went fine. */
const GOOD: ReadonlySet<string> = new Set(['succeeded', 'paused']);

export async function runCommand(config: Config, actor: string, text: string, opts: RunOptions, out: (s: string) => void): Promise<number> {
  const url = redisUrlFrom(config);
  if (url === undefined) {
    const outcome = handleText(text, { config, actor, now: new Date(), locks: [], freezes: [] });
    if (outcome.kind === 'approval') {
      out(`/${outcome.command.verb} needs the job engine: set REDIS_URL (or redis.url in the config). Nothing was done.`);
      return EXIT.usage;
    }
    out(renderText(outcome.message));
    if (outcome.kind === 'decided' && outcome.decision.kind !== 'deny') out('\nPreview only: no Redis is configured (REDIS_URL or redis.url), so nothing was queued.');
    return outcome.kind === 'error' ? EXIT.usage : outcome.kind === 'decided' && outcome.decision.kind === 'deny' ? EXIT.denied : EXIT.ok;
  }
  const s = createServices(config, { redisUrl: url, ...prefixFromEnv(), ...localProbes(config) });
  try {
    const reply = await submitRequest(s, { text, actor, deliveryId: opts.delivery ?? `cli-${randomUUID()}` });
    out(renderText(reply.message));
    if (reply.message.status === 'error') return EXIT.usage;
    if (reply.message.status === 'denied') return EXIT.denied;
    if (opts.wait !== true || reply.opId === undefined || reply.message.status === 'needs_approval') return EXIT.ok;
    const deadline = Date.now() + (opts.timeoutSeconds ?? 900) * 1000;
    let cursor = '0';
    for (;;) {
      for (const { id, event } of await s.ops.events(reply.opId, cursor, 1000)) {
        cursor = id;
        out(`  ${event.cluster ?? ''} ${event.workload ?? ''} ${event.step}: ${event.message}`.replace(/\s+/g, ' '));
      }
      const op = await s.ops.get(reply.opId);
      if (op !== undefined && FINAL.has(op.status)) {
        out(`\n${op.status}: ${op.summary}`);
        return GOOD.has(op.status) ? EXIT.ok : EXIT.failed;
      }
      if (Date.now() > deadline) {
        out(`\nStill ${op?.status ?? 'unknown'} after ${opts.timeoutSeconds ?? 900}s; follow it with /jobs.`);
        return EXIT.failed;
      }
    }
  } finally {
    await s.close();
  }
}
