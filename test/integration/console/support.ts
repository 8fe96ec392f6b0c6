import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Message } from '../../../src/core/message.ts';
import type { ConsoleEntry } from '../../../src/chat/console/store.ts';

/**
 * A small client of the console's HTTP API, as the page uses it: JSON POSTs with the
 * X-Chatops-Console header, a session cookie when signed in, and the Server-Sent Events
 * stream of a channel.
 */
export interface ConsoleClient {
  readonly base: string;
  cookie: string | undefined;
  post(path: string, body: Record<string, unknown>, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
  get(path: string): Promise<{ status: number; body: Record<string, unknown> }>;
}

export function consoleClient(base: string): ConsoleClient {
  const c: ConsoleClient = {
    base,
    cookie: undefined,
    async post(path, body, headers = { 'x-chatops-console': '1' }) {
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(c.cookie === undefined ? {} : { cookie: c.cookie }), ...headers },
        body: JSON.stringify(body),
        redirect: 'manual',
      });
      const set = res.headers.get('set-cookie');
      if (set !== null) c.cookie = set.split(';')[0];
      return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
    },
    async get(path) {
      const res = await fetch(`${base}${path}`, { headers: c.cookie === undefined ? {} : { cookie: c.cookie }, redirect: 'manual' });
      return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
    },
  };
  return c;
}

/**
 * A small local-mode config file in `dir`, listening on `host`: its cluster is reached through a
 * kubeconfig of its own (which doesn't exist), so `npm start` starts no local control plane.
 */
export function localConfigFile(dir: string, host: string): string {
  const file = join(dir, `local-${requestId()}.yaml`);
  writeFileSync(
    file,
    JSON.stringify({
      mode: 'local',
      people: { alice: {}, bob: {} },
      clusters: { gz: { region: 'gz', kubeconfig: join(dir, 'no-kubeconfig.yaml') } },
      environments: { prod: { clusters: ['gz'], registries: ['registry.example.com'] } },
      apps: { web: { image: 'registry.example.com/team/web' } },
      server: { host, port: 0 },
    }),
  );
  return file;
}

export function requestId(): string {
  return randomBytes(12).toString('hex');
}

export function textOf(m: Message | null | undefined): string {
  return m === null || m === undefined ? '' : JSON.stringify(m);
}

export function botEntries(entries: unknown): (ConsoleEntry & { kind: 'bot' })[] {
  return (entries as ConsoleEntry[]).filter((e): e is ConsoleEntry & { kind: 'bot' } => e.kind === 'bot');
}

export interface SseStream {
  readonly events: { event: string; data: unknown }[];
  close(): void;
}

/** Follows an SSE endpoint, collecting its events. */
export async function followSse(url: string, cookie?: string): Promise<SseStream> {
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal, headers: cookie === undefined ? {} : { cookie } });
  if (res.status !== 200 || res.body === null) throw new Error(`SSE ${url}: HTTP ${res.status}`);
  const events: { event: string; data: unknown }[] = [];
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += value;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data !== '') events.push({ event, data: JSON.parse(data) as unknown });
        }
      }
    } catch {
      // Closed.
    }
  })();
  return { events, close: () => ac.abort() };
}

/** Whether a process (one the test started) is still running. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
