import type { Config } from '../config/schema.ts';
import { createSlackAdapter, type SlackAdapter } from '../chat/slack/app.ts';
import type { Log } from '../log.ts';
import { runOpNotifier } from '../notify/op-notifier.ts';
import { Outbox, runOutbox, type ChannelSender } from '../notify/outbox.ts';
import { createServices, type Services } from '../service/services.ts';
import { startHttpServer, type Handler } from './http.ts';
import { createMetrics, type Metrics } from './metrics.ts';

/**
 * The API role: the HTTP server with the chat receivers, the notifier that keeps live
 * messages current, and the outbox that sends them. Workers run separately (`chatops
 * worker`) or in the same process (local mode); both only need the same Redis.
 */
export interface ApiOptions {
  readonly redisUrl: string;
  readonly prefix?: string;
  readonly log: Log;
  /** Override config.server (tests listen on port 0). */
  readonly host?: string;
  readonly port?: number;
  readonly clock?: () => Date;
  /** Test knobs passed to the adapters. */
  readonly slackUnhandledRequestTimeoutMillis?: number;
}

export interface RunningApi {
  readonly url: string;
  readonly s: Services;
  readonly outbox: Outbox;
  readonly metrics: Metrics;
  readonly slack: SlackAdapter | undefined;
  stop(): Promise<void>;
}

export async function startApi(config: Config, o: ApiOptions): Promise<RunningApi> {
  const s = createServices(config, { redisUrl: o.redisUrl, ...(o.prefix === undefined ? {} : { prefix: o.prefix }), ...(o.clock === undefined ? {} : { clock: o.clock }) });
  const outbox = new Outbox({ redis: s.redis, prefix: s.prefix });
  const metrics = createMetrics(outbox);
  const senders: Record<string, ChannelSender> = {};
  const routes: Record<string, Handler> = {};
  let slack: SlackAdapter | undefined;
  if (config.slack !== undefined) {
    slack = createSlackAdapter({ s, outbox, slack: config.slack, log: o.log.child({ platform: 'slack' }), ...(o.slackUnhandledRequestTimeoutMillis === undefined ? {} : { unhandledRequestTimeoutMillis: o.slackUnhandledRequestTimeoutMillis }) });
    senders['slack'] = slack.sender;
    const listener = slack.requestListener;
    if (listener !== undefined) routes['/slack/events'] = (req, res) => listener(req, res);
    await slack.start();
  }
  const notifier = runOpNotifier(s, outbox, { onError: (e) => o.log.error({ err: e }, 'notifier') });
  const sending = runOutbox(outbox, senders, { onError: (e) => o.log.error({ err: e }, 'outbox') });
  const http = await startHttpServer({
    host: o.host ?? config.server.host,
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
  o.log.info({ url: http.url, slack: config.slack?.mode ?? 'off' }, 'api listening');
  return {
    url: http.url,
    s,
    outbox,
    metrics,
    slack,
    async stop() {
      await http.close();
      await slack?.stop();
      await notifier.stop();
      await sending.stop();
      await s.close();
    },
  };
}
