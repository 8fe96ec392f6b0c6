import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
// Load order matters: the SDK sets protobufjs's (process-wide) util.Long to undefined when it
// loads. A schema parsed here before that has 64-bit fields that expect Long, and then every
// encode/decode throws "Cannot read properties of undefined (reading 'fromNumber')" (the fake
// would silently ignore the client's pings). Loading the SDK first makes the order fixed.
import '@larksuiteoapi/node-sdk';
import protobuf from 'protobufjs';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';
import type { WsClientConfig } from './lark-api.ts';

/**
 * A fake Lark/Feishu long-connection ("长连接") server for `lark.WSClient`, speaking the SDK's
 * protobuf `pbbp2.Frame` protocol. Point the fake Open API's `wsUrl` at `url()`; the WSClient
 * fetches it from `/callback/ws/endpoint` and connects here. Proven against the real SDK by
 * test/integration/fakes/lark-fakes.test.ts.
 *
 * Wire format (node_modules/@larksuiteoapi/node-sdk/lib/index.js, `pbbp2.Frame`, `WSClient`):
 * - Frame { required uint64 SeqID = 1; required uint64 LogID = 2; required int32 service = 3;
 *   required int32 method = 4; repeated Header headers = 5; optional string payloadEncoding = 6;
 *   optional string payloadType = 7; optional bytes payload = 8; optional string LogIDNew = 9 },
 *   Header { required string key = 1; required string value = 2 } (proto2).
 * - method 0 = control, 1 = data. The header `type` says what a frame is: control `ping`/`pong`,
 *   data `event`/`card`.
 * - The client pings as soon as the socket opens (service = the URL's `service_id`), then every
 *   PingInterval. The server answers `pong` with the ClientConfig JSON as payload.
 * - A data frame carries `type`, `message_id`, `sum`, `seq`, `trace_id`; payload fragments with the
 *   same message_id are joined in `seq` order once all `sum` have arrived, then JSON-parsed and
 *   passed to `eventDispatcher.invoke(data, { needCheck: false })` (no signature, no encryption).
 * - The client answers with the same frame (SeqID, LogID, service, method, headers + `biz_rt`)
 *   whose payload is the JSON `{ code: 200 | 500, data?: base64(JSON(handler result)) }`.
 * - SDK 1.74 handles only `type: event`; a `type: card` frame is silently dropped with no answer.
 *   Card callbacks (`card.action.trigger`) therefore have to arrive as `event` frames.
 */

const PROTO = `
syntax = "proto2";
package pbbp2;
message Header {
  required string key = 1;
  required string value = 2;
}
message Frame {
  required uint64 SeqID = 1;
  required uint64 LogID = 2;
  required int32 service = 3;
  required int32 method = 4;
  repeated Header headers = 5;
  optional string payloadEncoding = 6;
  optional string payloadType = 7;
  optional bytes payload = 8;
  optional string LogIDNew = 9;
}
`;

const FrameType = protobuf.parse(PROTO).root.lookupType('pbbp2.Frame');

/** The service id the fake puts in its URL; the client echoes it in every ping. */
export const FAKE_WS_SERVICE_ID = 33554678;

export interface WsFrame {
  SeqID: number;
  LogID: number;
  service: number;
  /** 0 = control, 1 = data. */
  method: number;
  headers: { key: string; value: string }[];
  payloadEncoding?: string;
  payloadType?: string;
  payload?: Uint8Array;
  LogIDNew?: string;
}

export function encodeFrame(frame: WsFrame): Uint8Array {
  return FrameType.encode(FrameType.fromObject(frame)).finish();
}

export function decodeFrame(buf: Uint8Array): WsFrame {
  const obj = FrameType.toObject(FrameType.decode(buf), { longs: Number, defaults: false, arrays: true }) as Record<string, unknown>;
  const frame: WsFrame = {
    SeqID: Number(obj['SeqID']),
    LogID: Number(obj['LogID']),
    service: Number(obj['service']),
    method: Number(obj['method']),
    headers: (obj['headers'] as { key: string; value: string }[] | undefined) ?? [],
  };
  if (typeof obj['payloadEncoding'] === 'string') frame.payloadEncoding = obj['payloadEncoding'];
  if (typeof obj['payloadType'] === 'string') frame.payloadType = obj['payloadType'];
  if (obj['payload'] instanceof Uint8Array) frame.payload = obj['payload'];
  if (typeof obj['LogIDNew'] === 'string') frame.LogIDNew = obj['LogIDNew'];
  return frame;
}

export const frameHeaders = (frame: WsFrame): Record<string, string> =>
  Object.fromEntries(frame.headers.map((h) => [h.key, h.value]));

export interface WsEventResponse {
  /** The `code` of the response payload: 200, or 500 when the handler threw. */
  code: number;
  /** The handler's return value (decoded from the payload's base64 `data`), undefined when it returned nothing falsy. */
  data: unknown;
  /** The response payload as sent, `{ code, data? }`. */
  payload: unknown;
  /** The response frame's headers (the request's, plus `biz_rt`). */
  headers: Record<string, string>;
  frame: WsFrame;
}

export interface FakeLarkWs {
  /** The URL to hand out from `/callback/ws/endpoint`. */
  url(): string;
  /** True once a client has connected and pinged (so its message listener is attached). */
  connected(): boolean;
  /** Resolves when connected() becomes true. */
  waitForConnection(timeoutMs?: number): Promise<void>;
  /** How many pings the clients sent. */
  pings(): number;
  /** Every frame received from clients, in order. */
  received(): WsFrame[];
  /**
   * Sends an event envelope as data frame(s) to the most recently connected client and resolves
   * with its response frame. Rejects after `timeoutMs` (default 5000) without one.
   */
  sendEvent(
    envelope: unknown,
    opts?: { type?: 'event' | 'card'; fragments?: number; timeoutMs?: number; message_id?: string },
  ): Promise<WsEventResponse>;
  /** Terminates every client connection (the server keeps listening). */
  dropConnections(): void;
  close(): Promise<void>;
}

export async function startFakeLarkWs(
  opts: {
    /**
     * The ClientConfig sent in every pong (seconds). The SDK replaces the endpoint's ClientConfig
     * with it, so keep it in line with the fake API's `wsClientConfig` (for example ReconnectNonce 0
     * and ReconnectInterval 1 for a quick reconnect in tests).
     */
    clientConfig?: Partial<WsClientConfig>;
  } = {},
): Promise<FakeLarkWs> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const { port } = wss.address() as AddressInfo;
  const received: WsFrame[] = [];
  const ready: WebSocket[] = [];
  const pending = new Map<string, (r: WsEventResponse) => void>();
  const connectionWaiters = new Set<() => void>();
  let pingCount = 0;
  let seq = 0;

  const pongConfig: WsClientConfig = {
    PingInterval: 120,
    ReconnectCount: -1,
    ReconnectInterval: 120,
    ReconnectNonce: 30,
    ...opts.clientConfig,
  };

  wss.on('connection', (socket) => {
    socket.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) return;
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      let frame: WsFrame;
      try {
        frame = decodeFrame(buf);
      } catch {
        return;
      }
      received.push(frame);
      const headers = frameHeaders(frame);
      if (frame.method === 0 && headers['type'] === 'ping') {
        pingCount += 1;
        if (!ready.includes(socket)) {
          ready.push(socket);
          for (const w of [...connectionWaiters]) w();
        }
        socket.send(
          encodeFrame({
            SeqID: 0,
            LogID: 0,
            service: frame.service,
            method: 0,
            headers: [{ key: 'type', value: 'pong' }],
            payload: Buffer.from(JSON.stringify(pongConfig)),
          }),
        );
        return;
      }
      if (frame.method === 1) {
        const id = headers['message_id'];
        const resolve = id === undefined ? undefined : pending.get(id);
        if (id === undefined || resolve === undefined) return;
        pending.delete(id);
        const text = Buffer.from(frame.payload ?? new Uint8Array()).toString('utf8');
        let payload: unknown;
        try {
          payload = JSON.parse(text);
        } catch {
          payload = text;
        }
        const p = (typeof payload === 'object' && payload !== null ? payload : {}) as { code?: unknown; data?: unknown };
        let result: unknown = undefined;
        if (typeof p.data === 'string') {
          const decoded = Buffer.from(p.data, 'base64').toString('utf8');
          try {
            result = JSON.parse(decoded);
          } catch {
            result = decoded;
          }
        }
        resolve({ code: Number(p.code), data: result, payload, headers, frame });
      }
    });
    socket.on('close', () => {
      const i = ready.indexOf(socket);
      if (i >= 0) ready.splice(i, 1);
    });
    socket.on('error', () => undefined);
  });

  const current = () => ready[ready.length - 1];

  return {
    url: () =>
      // `fpid` first: the SDK runs qs.parse over the whole URL, so the first key would come out as
      // "ws://…?fpid"; device_id and service_id must not be first to be read.
      `ws://127.0.0.1:${port}/ws/v2?fpid=1&aid=1&device_id=fake-device&access_key=fake&service_id=${FAKE_WS_SERVICE_ID}&ticket=fake-ticket`,
    connected: () => ready.length > 0,
    waitForConnection: (timeoutMs = 5000) =>
      new Promise<void>((resolve, reject) => {
        if (ready.length > 0) {
          resolve();
          return;
        }
        const timer = setTimeout(() => {
          connectionWaiters.delete(done);
          reject(new Error(`fake Lark WS: no client connected (and pinged) within ${timeoutMs} ms`));
        }, timeoutMs);
        function done() {
          clearTimeout(timer);
          connectionWaiters.delete(done);
          resolve();
        }
        connectionWaiters.add(done);
      }),
    pings: () => pingCount,
    received: () => [...received],
    sendEvent: (envelope, o = {}) => {
      const socket = current();
      if (socket === undefined) return Promise.reject(new Error('fake Lark WS: no connected client'));
      const type = o.type ?? 'event';
      const fragments = Math.max(1, o.fragments ?? 1);
      const timeoutMs = o.timeoutMs ?? 5000;
      const messageId = o.message_id ?? randomUUID();
      const traceId = randomUUID();
      const bytes = Buffer.from(JSON.stringify(envelope), 'utf8');
      const size = Math.ceil(bytes.length / fragments);
      return new Promise<WsEventResponse>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(messageId);
          reject(
            new Error(
              `fake Lark WS: no response to ${type} frame ${messageId} within ${timeoutMs} ms` +
                (type === 'card' ? ' (@larksuiteoapi/node-sdk 1.74 drops data frames whose type is not "event")' : ''),
            ),
          );
        }, timeoutMs);
        pending.set(messageId, (r) => {
          clearTimeout(timer);
          resolve(r);
        });
        for (let i = 0; i < fragments; i++) {
          seq += 1;
          socket.send(
            encodeFrame({
              SeqID: seq,
              LogID: seq,
              service: FAKE_WS_SERVICE_ID,
              method: 1,
              headers: [
                { key: 'type', value: type },
                { key: 'message_id', value: messageId },
                { key: 'sum', value: String(fragments) },
                { key: 'seq', value: String(i) },
                { key: 'trace_id', value: traceId },
              ],
              payload: bytes.subarray(i * size, Math.min(bytes.length, (i + 1) * size)),
              LogIDNew: `${seq}_${traceId}`,
            }),
          );
        }
      });
    },
    dropConnections: () => {
      for (const c of wss.clients) c.terminate();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}
