import type { Server } from 'node:http';
import { larkPart } from '../chat/lark/part.ts';
import { consolePart } from '../chat/console/part.ts';
import { alertsPart } from '../alerts/part.ts';
import { slackPart } from '../chat/slack/part.ts';
import type { Config } from '../config/schema.ts';
import type { Log } from '../log.ts';
import { runOpNotifier } from '../notify/op-notifier.ts';
import { Outbox, runOutbox, type ChannelSender } from '../notify/outbox.ts';
import { createServices, type Services } from '../service/services.ts';
import { localBindProblem } from '../local/loopback.ts';
import { createSweepQueue } from '../service/sweeper.ts';
import { sampleProbePart } from '../local/sample-probe.ts';
import { startHttpServer, type Handler, type Route } from './http.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import type { ApiPart, PartFactory } from './part.ts';

/**
 * The API role: the HTTP server with the chat receivers and the other parts, the notifier that
 * keeps live messages current, and the outbox that sends them. Workers run separately
 * (`chatops worker`) or in the same process (local mode); both only need the same Redis.
 */
export const PARTS: readonly PartFactory[] = [slackPart, larkPart, consolePart, sampleProbePart, alertsPart];

export interface ApiOptions {
  readonly redisUrl: string;
  readonly prefix?: string;
  readonly log: Log;
  /** Override config.server (tests listen on port 0). */
  readonly host?: string;
  readonly port?: number;
  readonly clock?: () => Date;
  /** For the apps' HTTP probes; tests pass one that refuses anything but loopback. */
  readonly fetch?: typeof globalThis.fetch;
  /** Test knobs passed to the parts (e.g. slackUnhandledRequestTimeoutMillis). */
  readonly knobs?: Readonly<Record<string, unknown>>;
}

export interface RunningApi {
  readonly url: string;
  /** The HTTP server itself (tests hand it connections from other kinds of sockets). */
  readonly server: Server;
  readonly s: Services;
  readonly outbox: Outbox;
  readonly metrics: Metrics;
  readonly parts: readonly ApiPart[];
  stop(): Promise<void>;
}

export async function startApi(config: Config, o: ApiOptions): Promise<RunningApi> {
  // Every way of starting the API comes through here: local mode never listens beyond loopback.
  const host = o.host ?? config.server.host;
  const bindProblem = localBindProblem(config.mode, host);
  if (bindProblem !== undefined) throw new Error(bindProblem);
  const s = createServices(config, { redisUrl: o.redisUrl, ...(o.prefix === undefined ? {} : { prefix: o.prefix }), ...(o.clock === undefined ? {} : { clock: o.clock }), ...(o.fetch === undefined ? {} : { fetch: o.fetch }) });
  const outbox = new Outbox({ redis: s.redis, prefix: s.prefix });
  const sweepQueue = createSweepQueue(s);
  const metrics = createMetrics(outbox, { queues: [s.queue, sweepQueue], redis: s.redis, prefix: s.prefix });
  const parts: ApiPart[] = [];
  for (const make of PARTS) {
    const part = await make({ config, s, outbox, log: o.log, metrics, knobs: o.knobs ?? {} });
    if (part !== undefined) parts.push(part);
  }
  const senders: Record<string, ChannelSender> = {};
  const routes: Record<string, Handler | Route> = {};
  for (const p of parts) {
    if (p.sender !== undefined) senders[p.sender.platform] = p.sender.sender;
    for (const [path, h] of Object.entries(p.routes ?? {})) {
      if (Object.hasOwn(routes, path)) throw new Error(`two parts serve ${path}`);
      routes[path] = h;
    }
  }
  for (const p of parts) await p.start?.();
  const notifier = runOpNotifier(s, outbox, {
    onError: (e) => o.log.error({ err: e }, 'notifier'),
    onEnded: (op) => {
      metrics.operations.inc({ kind: op.kind, result: op.status });
      metrics.durations.observe({ kind: op.kind, result: op.status }, Math.max(0, (Date.parse(op.updatedAt) - Date.parse(op.createdAt)) / 1000));
    },
    onApproval: (event, op) => metrics.approvals.inc({ env: op.env, event }),
  });
  const sending = runOutbox(outbox, senders, { onError: (e) => o.log.error({ err: e }, 'outbox') });
  const http = await startHttpServer({
    host,
    port: o.port ?? config.server.port,
    log: o.log,
    metrics,
    routes,
    ready: async () => {
      try {
        return (await s.redis.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
  });
  o.log.info({ url: http.url, parts: parts.map((p) => p.name) }, 'api listening');
  return {
    url: http.url,
    server: http.server,
    s,
    outbox,
    metrics,
    parts,
    async stop() {
      await http.close();
      for (const p of [...parts].reverse()) await p.stop?.();
      await notifier.stop();
      await sending.stop();
      await sweepQueue.close();
      await s.close();
    },
  };
}
