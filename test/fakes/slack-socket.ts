import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';

/**
 * A fake of Slack's Socket Mode WebSocket endpoint, speaking the protocol @slack/socket-mode 3
 * expects:
 * - on connect the server sends `{ type: 'hello', num_connections, debug_info, connection_info }`;
 *   the client's start() resolves only after it (SocketModeClient.js onWebSocketMessage);
 * - envelopes are `{ envelope_id, type: 'events_api' | 'slash_commands' | 'interactive', payload,
 *   accepts_response_payload, retry_attempt?, retry_reason? }`;
 * - the app acks with `{ envelope_id, payload: {…} }` (payload is `{}` for a bare ack()).
 * - `{ type: 'disconnect', reason }` makes the client close and (with auto-reconnect) call
 *   apps.connections.open again;
 * - the client pings every clientPingTimeout/3 ms and wants pongs (`ws` answers them itself);
 *   it only watches for server pings after the first one, so sending pings is optional.
 *
 * Hand `fake.url` to the API fake (`startFakeSlackApi({ socketUrl: fake.url })`) so
 * apps.connections.open returns it.
 */

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

export interface SocketAck {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

export interface SendOptions {
  /** Reject when no ack arrives in time (default 3000 ms, Slack's ack deadline). */
  timeoutMs?: number;
  /** Defaults: true for slash_commands and for view_submission / block_suggestion, else false. */
  acceptsResponsePayload?: boolean;
  /** events_api redelivery: becomes the app's context.retryNum / retryReason. */
  retryAttempt?: number;
  retryReason?: string;
  envelopeId?: string;
}

export interface SocketClosure {
  code: number;
  reason: string;
}

export interface FakeSocketMode {
  /** A fresh connection URL (new ticket each call), for apps.connections.open. */
  readonly url: () => string;
  /** Resolves once a client is connected and has been sent `hello` (at once if one is). */
  connected(): Promise<void>;
  /** How many connections were accepted so far (reconnects count). */
  readonly connections: number;
  /** Every ack / message the clients sent, parsed. */
  readonly received: unknown[];
  /** Close codes of connections that ended, in order. */
  readonly closures: SocketClosure[];
  /** Sends an envelope to the newest open connection and resolves with the app's ack. */
  send(type: EnvelopeType, payload: Record<string, unknown>, opts?: SendOptions): Promise<SocketAck>;
  /** Sends `{ type: 'disconnect', reason }` to every open connection, as Slack does before recycling one. */
  disconnect(reason?: 'refresh_requested' | 'warning' | 'link_disabled'): void;
  /** Resolves when no connection is open any more (at once if none is); rejects after timeoutMs. */
  allClosed(timeoutMs?: number): Promise<void>;
  /** Terminates open connections and stops the server. */
  close(): Promise<void>;
}

export interface FakeSocketModeOptions {
  appId?: string;
  /** Send a WebSocket ping to clients at this interval (Slack does, every few seconds). Off by default. */
  pingIntervalMs?: number;
}

interface PendingAck {
  resolve: (ack: SocketAck) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export async function startFakeSocketMode(opts: FakeSocketModeOptions = {}): Promise<FakeSocketMode> {
  const appId = opts.appId ?? 'A000FAKEAPP';
  const open: WebSocket[] = [];
  const received: unknown[] = [];
  const closures: SocketClosure[] = [];
  const pending = new Map<string, PendingAck>();
  let connectionCount = 0;
  let connectedWaiters: Array<() => void> = [];
  let closedWaiters: Array<() => void> = [];

  const http = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' });
    res.end('upgrade required');
  });
  const wss = new WebSocketServer({ server: http });

  wss.on('connection', (ws) => {
    connectionCount += 1;
    open.push(ws);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return;
      const text = rawToString(data);
      let msg: unknown;
      try {
        msg = JSON.parse(text);
      } catch {
        received.push(text);
        return;
      }
      received.push(msg);
      if (typeof msg === 'object' && msg !== null && typeof (msg as { envelope_id?: unknown }).envelope_id === 'string') {
        const ack = msg as SocketAck;
        const p = pending.get(ack.envelope_id);
        if (p !== undefined) {
          pending.delete(ack.envelope_id);
          clearTimeout(p.timer);
          p.resolve(ack.payload === undefined ? { envelope_id: ack.envelope_id } : { envelope_id: ack.envelope_id, payload: ack.payload });
        }
      }
    });
    ws.on('close', (code, reason) => {
      closures.push({ code, reason: reason.toString('utf8') });
      const i = open.indexOf(ws);
      if (i >= 0) open.splice(i, 1);
      if (open.length === 0) {
        const ws2 = closedWaiters;
        closedWaiters = [];
        for (const w of ws2) w();
      }
    });
    ws.on('error', () => {
      // a client that vanishes mid-frame; its 'close' follows
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: open.length,
        debug_info: { host: 'applink-fake-1', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: appId },
      }),
    );
    const ws1 = connectedWaiters;
    connectedWaiters = [];
    for (const w of ws1) w();
  });

  const pinger =
    opts.pingIntervalMs !== undefined
      ? setInterval(() => {
          for (const ws of open) ws.ping(Buffer.from(`ping-${Date.now()}`));
        }, opts.pingIntervalMs)
      : undefined;

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (http.address() as AddressInfo).port;

  return {
    url: () => `ws://127.0.0.1:${port}/link/?ticket=${randomUUID()}&app_id=${appId}`,
    connected() {
      if (open.length > 0) return Promise.resolve();
      return new Promise((resolve) => connectedWaiters.push(resolve));
    },
    get connections() {
      return connectionCount;
    },
    received,
    closures,
    send(type, payload, sendOpts = {}) {
      const ws = open[open.length - 1];
      if (ws === undefined) return Promise.reject(new Error('fake Socket Mode: no client is connected'));
      const envelopeId = sendOpts.envelopeId ?? randomUUID();
      const accepts =
        sendOpts.acceptsResponsePayload ??
        (type === 'slash_commands' || (type === 'interactive' && (payload['type'] === 'view_submission' || payload['type'] === 'block_suggestion')));
      const envelope: Record<string, unknown> = { envelope_id: envelopeId, payload, type, accepts_response_payload: accepts };
      if (type === 'events_api') {
        envelope['retry_attempt'] = sendOpts.retryAttempt ?? 0;
        envelope['retry_reason'] = sendOpts.retryReason ?? '';
      }
      const timeoutMs = sendOpts.timeoutMs ?? 3000;
      return new Promise<SocketAck>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(envelopeId);
          reject(new Error(`fake Socket Mode: no ack for ${type} envelope ${envelopeId} within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(envelopeId, { resolve, reject, timer });
        ws.send(JSON.stringify(envelope), (err) => {
          if (err === undefined || err === null) return;
          clearTimeout(timer);
          pending.delete(envelopeId);
          reject(err);
        });
      });
    },
    disconnect(reason = 'refresh_requested') {
      for (const ws of open) ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-fake-1' } }));
    },
    allClosed(timeoutMs = 2000) {
      if (open.length === 0) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`fake Socket Mode: ${open.length} connection(s) still open after ${timeoutMs} ms`)), timeoutMs);
        closedWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    async close() {
      if (pinger !== undefined) clearInterval(pinger);
      for (const [id, p] of pending) {
        clearTimeout(p.timer);
        p.reject(new Error(`fake Socket Mode closed before envelope ${id} was acked`));
      }
      pending.clear();
      for (const ws of [...open]) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
