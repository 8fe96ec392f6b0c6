import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackOnly } from '../../../src/jobs/probe.ts';
import { uniqueName } from '../support/namespace.ts';
import { replies, startAlertsBot, textOf, topLevel, waitFor, type AlertsHarness } from './support.ts';

/**
 * Site probes from config against a local node:http server that answers 500, then OK, then a
 * body with "ERROR", then nothing at all (a timeout), then OK: each failure fires an alert in
 * the channel, each recovery edits that message to resolved.
 */
const CHANNEL = 'C0PROBES1';
let h: AlertsHarness;
let site: Server;
let mode: 'ok' | '500' | 'error' | 'hang' = '500';
const hits: string[] = [];

beforeAll(async () => {
  site = createServer((req, res) => {
    hits.push(req.headers.host ?? '');
    if (mode === 'hang') return; // never answers
    if (mode === '500') {
      res.writeHead(500);
      res.end('internal error');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(mode === 'error' ? 'status: ERROR database unreachable' : 'status: ok');
    return;
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  const port = (site.address() as AddressInfo).port;
  h = await startAlertsBot(uniqueName('probes'), {
    defaults: { groupWait: '1s' },
    routes: [{ match: { env: 'prod' }, channels: [`slack:${CHANNEL}`] }],
    probes: [{ name: 'shop-home', url: `http://127.0.0.1:${port}/healthz`, interval: '1s', timeout: '1s', bodyMustNotContain: 'ERROR', labels: { env: 'prod', app: 'web' } }],
  }, { knobs: { alertsProbeFetch: loopbackOnly(fetch), alertsLeaseTtlMs: 3000 } });
});

afterAll(async () => {
  await h?.close();
  site.closeAllConnections();
  await new Promise<void>((r) => site.close(() => r()));
});

function probeMessages() {
  return topLevel(h, CHANNEL).filter((m) => textOf(m).includes('SiteProbeFailed'));
}

function resolvedNow(ts: string): boolean {
  return textOf(h.fake.messages(CHANNEL).find((m) => m.ts === ts) ?? {}).includes('Resolved: SiteProbeFailed');
}

describe('HTTP site probes', () => {
  it('alerts on 500, on "ERROR" in the body and on a timeout, and resolves each when healthy again', async () => {
    const first = await waitFor('the 500 alert', () => probeMessages()[0], 20_000, 100);
    expect(textOf(first)).toContain('answered 500, expected 200');
    expect(textOf(first)).toContain('SiteProbeFailed: web in prod');
    mode = 'ok';
    await waitFor('the 500 alert resolved', () => (resolvedNow(first.ts) ? true : undefined), 20_000, 100);
    await waitFor('"All resolved" in the thread', () => replies(h, CHANNEL, first.ts).find((m) => textOf(m).includes('All resolved')), 10_000, 100);

    mode = 'error';
    const second = await waitFor('the ERROR alert', () => probeMessages().find((m) => m.ts !== first.ts), 20_000, 100);
    expect(textOf(second)).toContain('"ERROR" in the body');
    mode = 'ok';
    await waitFor('the ERROR alert resolved', () => (resolvedNow(second.ts) ? true : undefined), 20_000, 100);

    mode = 'hang';
    const third = await waitFor('the timeout alert', () => probeMessages().find((m) => m.ts !== first.ts && m.ts !== second.ts), 20_000, 100);
    expect(textOf(third)).toContain('no answer within 1s');
    mode = 'ok';
    await waitFor('the timeout alert resolved', () => (resolvedNow(third.ts) ? true : undefined), 20_000, 100);
    expect(probeMessages()).toHaveLength(3);
    expect(new Set(hits).size).toBe(1);
  });
});
