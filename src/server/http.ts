import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Log } from '../log.ts';
import { DRAIN_LIMIT_BYTES } from './body.ts';
import type { Metrics } from './metrics.ts';

/**
 * The bot's one HTTP server: health and readiness probes, Prometheus metrics, and the chat
 * platforms' webhooks, each handed to its SDK's own verifying handler. Anything else is 404.
 */
export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/**
 * A handler with a body limit of its own. The server refuses a larger declared body with 413
 * before the handler runs, so a route that takes more than the server-wide limit (the alert
 * webhooks: Alertmanager batches of up to 2 MiB) must say so here, or it never sees them.
 */
export interface Route {
  readonly handle: Handler;
  readonly maxBodyBytes: number;
}

export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
  readonly log: Log;
  readonly metrics: Metrics;
  /** Whether the process can serve (Redis reachable, adapters started). */
  readonly ready: () => Promise<boolean>;
  /**
   * "METHOD /path" → handler, e.g. "POST /slack/events"; a key ending in "/*" matches every
   * path under it ("GET /console/*"). Anything else is 404.
   */
  readonly routes: Readonly<Record<string, Handler | Route>>;
  readonly now?: () => number;
  /** Larger declared bodies get 413 before a handler reads them, unless its Route says otherwise; default 1 MiB. */
  readonly maxBodyBytes?: number;
}

export interface RunningServer {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

/** Slack's and Lark's webhook bodies are a few kilobytes: a request far larger is not one of theirs. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** How far a request's timestamp may be from now, either way (Slack's and Lark's replay window). */
export const TIMESTAMP_WINDOW_SECONDS = 300;

/**
 * Slack signs its timestamp header, and Bolt refuses old ones but not ones from the future; a
 * captured request with a future timestamp could be replayed for as long as that lies ahead.
 */
export function slackTimestampProblem(header: string | string[] | undefined, nowMs: number): string | undefined {
  if (typeof header !== 'string') return undefined; // Bolt refuses a missing header itself.
  const ts = Number(header);
  if (!Number.isFinite(ts)) return undefined;
  return ts * 1000 > nowMs + TIMESTAMP_WINDOW_SECONDS * 1000 ? 'timestamp in the future' : undefined;
}

export function routeFor<T>(routes: Readonly<Record<string, T>>, method: string, path: string): T | undefined {
  const exact = `${method} ${path}`;
  if (Object.hasOwn(routes, exact)) return routes[exact];
  let best: { len: number; h: T } | undefined;
  for (const [key, h] of Object.entries(routes)) {
    if (!key.endsWith('/*') || !key.startsWith(`${method} `)) continue;
    const prefix = key.slice(method.length + 1, -1);
    if (path.startsWith(prefix) && (best === undefined || prefix.length > best.len)) best = { len: prefix.length, h };
  }
  return best?.h;
}

function asRoute(r: Handler | Route, maxBodyBytes: number): Route {
  return typeof r === 'function' ? { handle: r, maxBodyBytes } : r;
}

export async function startHttpServer(o: HttpServerOptions): Promise<RunningServer> {
  const now = o.now ?? Date.now;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    void (async () => {
      try {
        if (req.method === 'GET' && path === '/healthz') return send(200, 'ok\n');
        if (req.method === 'GET' && path === '/readyz') return (await o.ready()) ? send(200, 'ready\n') : send(503, 'not ready\n');
        if (req.method === 'GET' && path === '/metrics') return send(200, await o.metrics.registry.metrics(), o.metrics.registry.contentType);
        const found = routeFor(o.routes, req.method ?? 'GET', path);
        if (found === undefined) return send(404, 'not found\n');
        const route = asRoute(found, o.maxBodyBytes ?? MAX_BODY_BYTES);
        const length = Number(req.headers['content-length'] ?? 0);
        if (length > route.maxBodyBytes) {
          // Refuse before any SDK buffers it. Drain it first (up to a bound) so the client reads
          // the 413 instead of a reset connection.
          o.metrics.rejected.inc({ platform: path.split('/')[1] ?? 'http', reason: 'body too large' });
          if (length > DRAIN_LIMIT_BYTES) {
            send(413, 'request body too large\n');
            req.destroy();
            return;
          }
          req.resume();
          req.once('end', () => send(413, 'request body too large\n'));
          return;
        }
        if (path === '/slack/events') {
          const problem = slackTimestampProblem(req.headers['x-slack-request-timestamp'], now());
          if (problem !== undefined) {
            o.metrics.rejected.inc({ platform: 'slack', reason: problem });
            o.log.warn({ path, problem }, 'request refused');
            req.resume();
            return send(401, 'unauthorized\n');
          }
        }
        await route.handle(req, res);
      } catch (e) {
        o.log.error({ err: e, path }, 'request failed');
        if (!res.headersSent) send(500, 'internal error\n');
        else res.end();
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    server,
    url: `http://${host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
