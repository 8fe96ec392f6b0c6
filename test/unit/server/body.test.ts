import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRAIN_LIMIT_BYTES, readBody } from '../../../src/server/body.ts';
import { secretEqual } from '../../../src/server/secret-equal.ts';

const LIMIT = 1024;
let server: Server;
let port: number;
/** What the handler's readBody gave for each request: its length, or 'over'. */
const seen: (number | 'over')[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    void readBody(req, LIMIT).then((b) => {
      seen.push(b === undefined ? 'over' : b.length);
      res.writeHead(b === undefined ? 413 : 200);
      res.end(b === undefined ? 'too large' : b);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

/** Sends `total` bytes in 64 KiB chunks with no Content-Length (chunked), as a client may. */
function sendChunked(total: number): Promise<{ status: number } | { error: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/' }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', (e) => resolve({ error: e.message }));
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    const more = (): void => {
      while (sent < total) {
        const n = Math.min(chunk.length, total - sent);
        sent += n;
        if (!req.write(chunk.subarray(0, n))) return void req.once('drain', more);
      }
      req.end();
    };
    more();
  });
}

describe('readBody: each route\'s limit, whatever the client declares', () => {
  it.each([
    { what: 'a body within the limit is read whole', bytes: LIMIT, status: 200, got: LIMIT },
    { what: 'a chunked body one byte over is refused, and the client reads the 413', bytes: LIMIT + 1, status: 413, got: 'over' as const },
    { what: 'a chunked body of a few MiB is read to its end and dropped: the client reads the 413', bytes: 3 * 1024 * 1024, status: 413, got: 'over' as const },
  ])('$what', async ({ bytes, status, got }) => {
    const before = seen.length;
    expect(await sendChunked(bytes)).toEqual({ status });
    expect(seen.slice(before)).toEqual([got]);
  });

  it('a body past the drain limit is cut off: the connection closes without reading the rest', async () => {
    const before = seen.length;
    const r = await sendChunked(DRAIN_LIMIT_BYTES + 4 * 64 * 1024);
    expect(seen.slice(before)).toEqual(['over']);
    // Either the 413 got out before the close or the client saw the reset; never a 200.
    expect('status' in r ? r.status : 'reset').not.toBe(200);
  });
});

describe('secretEqual', () => {
  it.each([
    ['s3cret', 's3cret', true],
    ['s3cret', 's3creT', false],
    ['s3cre', 's3cret', false],
    ['', 's3cret', false],
    ['', '', true],
    ['pässword', 'pässword', true],
  ])('%j vs %j: %s', (a, b, want) => {
    expect(secretEqual(a, b)).toBe(want);
  });
});
