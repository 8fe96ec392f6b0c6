import type { IncomingMessage } from 'node:http';

/**
 * Past this, a body over a route's limit is cut off (the connection is closed) instead of read
 * and dropped: reading that much only to refuse it would let one client keep the server busy.
 */
export const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

/**
 * A request's body, or undefined when it is longer than `max` bytes. Every webhook and the
 * console read bodies through here, so each route's limit holds whatever the client declares
 * (a chunked body has no Content-Length for the server to check first). A body over the limit
 * is read to its end and dropped, so the client gets the 413 rather than a reset connection,
 * unless it goes on past DRAIN_LIMIT_BYTES.
 */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= max) chunks.push(c);
      else if (size > DRAIN_LIMIT_BYTES) {
        req.destroy();
        resolve(undefined);
      }
    });
    req.on('end', () => resolve(size > max ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
