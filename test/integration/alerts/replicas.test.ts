import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackOnly } from '../../../src/jobs/probe.ts';
import { silentLog } from '../../../src/log.ts';
import { startApi, type RunningApi } from '../../../src/server/api.ts';
import { amPayload, postAlertmanager } from '../../fakes/alertmanager.ts';
import { startFakeSlackApi, type FakeSlackApi } from '../../fakes/slack-api.ts';
import { FAKE_TEAM_ID } from '../../fakes/slack-sign.ts';
import { chatConfig } from '../chat/support.ts';
import { uniqueName } from '../support/namespace.ts';
import { ACCESS, SECRET, TOKEN, settle, sleep, textOf, waitFor } from './support.ts';

/**
 * Two API replicas on one Redis: the two Alertmanager replicas each notify a different bot
 * replica at the same moment, and the alert is posted once; the site probe runs in one replica
 * only (the lease), and when that replica stops, the other takes over.
 */
const CHANNEL = 'C0REPLICA';
let fake: FakeSlackApi;
let site: Server;
let hits = 0;
let a: RunningApi;
let b: RunningApi;

beforeAll(async () => {
  site = createServer((_req, res) => {
    hits++;
    res.writeHead(200);
    res.end('ok');
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  fake = await startFakeSlackApi({ token: TOKEN });
  const config = chatConfig(uniqueName('replicas'), {
    slack: { signingSecret: SECRET, botToken: TOKEN, teamId: FAKE_TEAM_ID, apiUrl: fake.url },
    access: ACCESS,
    alerts: {
      sources: { alertmanager: { allowUnauthenticated: true } },
      defaults: { groupWait: '1s' },
      routes: [{ match: { env: 'prod' }, channels: [`slack:${CHANNEL}`] }],
      probes: [{ name: 'home', url: `http://127.0.0.1:${(site.address() as AddressInfo).port}/`, interval: '1s', labels: { env: 'prod' } }],
    },
  });
  const prefix = `replicas-${randomBytes(4).toString('hex')}:`;
  const opts = { redisUrl: process.env['REDIS_URL'] ?? '', prefix, log: silentLog(), host: '127.0.0.1', port: 0, knobs: { alertsPollMs: 50, alertsProbeFetch: loopbackOnly(fetch), alertsLeaseTtlMs: 1500 } };
  a = await startApi(config, opts);
  b = await startApi(config, opts);
});

afterAll(async () => {
  await a?.stop().catch(() => undefined);
  await b?.stop();
  await fake?.close();
  site.closeAllConnections();
  await new Promise<void>((r) => site.close(() => r()));
});

describe('two API replicas', () => {
  it('the same notification to both replicas at once is posted once', async () => {
    const payload = amPayload([{ labels: { alertname: 'ReplicaAlert', env: 'prod', app: 'web', severity: 'warning' } }]);
    const rs = await Promise.all([postAlertmanager(`${a.url}/alerts/alertmanager`, payload), postAlertmanager(`${b.url}/alerts/alertmanager`, payload), postAlertmanager(`${a.url}/alerts/alertmanager`, payload), postAlertmanager(`${b.url}/alerts/alertmanager`, payload)]);
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await waitFor('the message', () => fake.messages(CHANNEL).find((m) => textOf(m).includes('ReplicaAlert')), 15_000, 100);
    await settle({ fake } as never, CHANNEL);
    expect(fake.messages(CHANNEL).filter((m) => m.thread_ts === undefined && textOf(m).includes('ReplicaAlert'))).toHaveLength(1);
  });

  it('only the lease holder probes; another replica takes over when it stops', async () => {
    await sleep(2000);
    const before = hits;
    await sleep(5000);
    // One probe a second, not two.
    expect(hits - before).toBeGreaterThanOrEqual(3);
    expect(hits - before).toBeLessThanOrEqual(7);
    // Replica a started first, so it took the lease.
    const holder = await a.s.leases.holder('alerts-sources');
    expect(holder).toBeDefined();
    await a.stop();
    const afterStop = hits;
    await sleep(4000);
    expect(await b.s.leases.holder('alerts-sources')).not.toBe(holder);
    expect(hits - afterStop).toBeGreaterThanOrEqual(2);
  });
});
