import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../../server/body.ts';

/**
 * Small HTTP pieces for the console: JSON in and out, the static page files (read once, served
 * from memory), and the headers every console response carries. The Content-Security-Policy
 * lets the pages load only their own scripts and styles and talk only to their own origin:
 * nothing comes from the internet, and an injected tag would not run.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

export function sendError(res: ServerResponse, e: HttpError): void {
  sendJson(res, e.status, { error: e.message });
}

const MAX_BODY = 64 * 1024;

export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const raw = await readBody(req, MAX_BODY);
  if (raw === undefined) throw new HttpError(413, 'request body too large');
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'the body must be a JSON object');
  return body as Record<string, unknown>;
}

export function str(body: Record<string, unknown>, key: string, max: number): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new HttpError(400, `${key} must be a string`);
  if (v.length > max) throw new HttpError(400, `${key} is too long`);
  return v;
}

/**
 * The decoded rest of the request's path after `prefix`; undefined when it has a malformed
 * %-escape ("/ops/%"), which is the client's mistake (400), not the server's.
 */
export function pathAfter(req: IncomingMessage, prefix: string): string | undefined {
  const raw = (req.url ?? '').split('?')[0] ?? '';
  if (!raw.startsWith(prefix)) return undefined;
  try {
    return decodeURIComponent(raw.slice(prefix.length));
  } catch {
    return undefined;
  }
}

export function query(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? '/', 'http://console.invalid').searchParams;
}

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

/** The page files, by name, loaded once from static/. Only these names are ever served. */
export const STATIC_FILES = ['index.html', 'dashboard.html', 'console.css', 'render.js', 'console.js', 'dashboard.js', 'icon.svg'] as const;
export type StaticFile = (typeof STATIC_FILES)[number];

const cache = new Map<string, Buffer>();

export function staticFile(name: StaticFile): { body: Buffer; type: string } {
  let body = cache.get(name);
  if (body === undefined) {
    body = readFileSync(new URL(`./static/${name}`, import.meta.url));
    cache.set(name, body);
  }
  return { body, type: TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream' };
}

export function sendStatic(res: ServerResponse, name: StaticFile): void {
  const f = staticFile(name);
  res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': f.type, 'cache-control': 'no-cache' });
  res.end(f.body);
}
