import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClients } from '../support/cluster.ts';
import { auditMark, countBotWrites } from '../support/audit.ts';
import { testNamespace } from '../support/namespace.ts';
import { faultReport } from '../support/report.ts';
import { createDeployment, waitFor, waitForRollout } from '../support/workloads.ts';
import { startFakeSlackApi, type FakeSlackApi } from '../../fakes/slack-api.ts';
import { FAKE_TEAM_ID, postSigned, slashCommandBody, signSlack } from '../../fakes/slack-sign.ts';
import { chatConfig, PEOPLE, slackDirectory, startBot, type Bot } from './support.ts';

/**
 * Faults at the edge and in the topology: oversized, malformed and unsigned requests change
 * nothing and crash nothing; two API processes and two workers on one Redis run each request
 * exactly once and share the work.
 */
const SECRET = `secret-${randomBytes(8).toString('hex')}`;
const TOKEN = 'xoxb-test-0000-token';
/** Ten workloads, one deploy each: concurrent deploys of one workload would (rightly) block each other. */
const APPS = Array.from({ length: 10 }, (_, i) => `d${i}`);

let fake: FakeSlackApi;
let ns: string;

beforeAll(async () => {
  ns = (await testNamespace({ clusters: ['gz'], prefix: 'faults', scope: 'file' })).name;
  await Promise.all(APPS.map(async (app) => waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns, app, { replicas: 1, tag: 'v1' }))));
  fake = await startFakeSlackApi({ token: TOKEN, users: slackDirectory() });
});

afterAll(async () => {
  await fake?.close();
});

function config() {
  const c = chatConfig(ns, { slack: { signingSecret: SECRET, botToken: TOKEN, teamId: FAKE_TEAM_ID, apiUrl: fake.url } });
  // bob (sre) deploys without approval: every request below goes straight to the queue.
  const web = c.apps['web'];
  if (web === undefined) throw new Error('chatConfig has no web app');
  return { ...c, apps: { ...c.apps, ...Object.fromEntries(APPS.map((a) => [a, { ...web, workload: { kind: 'Deployment' as const, name: a } }])) } };
}

describe('bad requests', () => {
  let bot: Bot;
  beforeAll(async () => {
    bot = await startBot(config());
  });
  afterAll(async () => {
    await bot?.stop();
  });

  it('oversized, malformed and unsigned requests are refused; nothing changes and the server keeps serving', async () => {
    const url = `${bot.api.url}/slack/events`;
    const before = (await bot.api.s.ops.list(100)).length;
    const cases: { what: string; send: () => Promise<Response>; status: number[] }[] = [
      { what: 'unsigned', send: () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'command=/deploy&text=web+v9+to+prod' }), status: [401] },
      { what: 'signature of another body', send: () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlack(SECRET, 'x=1') }, body: 'x=2' }), status: [401] },
      { what: '5 MB body', send: () => postSigned(url, `payload=${'a'.repeat(5 * 1024 * 1024)}`, { secret: SECRET }), status: [413] },
      { what: 'signed garbage JSON', send: () => postSigned(url, '{"type": "event_callback", "event": ', { secret: SECRET, contentType: 'application/json' }), status: [400, 401, 500] },
      { what: 'signed form with a payload that is not JSON', send: () => postSigned(url, 'payload=%7Bnot-json', { secret: SECRET }), status: [400, 401, 500] },
      { what: 'a timestamp that is not a number', send: () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': 'soon', 'x-slack-signature': 'v0=00' }, body: '{}' }), status: [401] },
      { what: 'an unknown path', send: () => fetch(`${bot.api.url}/slack/other`, { method: 'POST', body: '{}' }), status: [404] },
    ];
    const statuses: number[] = [];
    for (const c of cases) {
      const res = await c.send();
      statuses.push(res.status);
      expect(c.status, `${c.what}: got ${res.status}`).toContain(res.status);
      await res.body?.cancel();
    }
    expect((await fetch(`${bot.api.url}/healthz`)).status).toBe(200);
    const good = await postSigned(url, slashCommandBody({ command: '/ops', text: 'help', user_id: PEOPLE.alice.slack, team_id: FAKE_TEAM_ID, channel_id: 'C0FAULTS', response_url: fake.responseUrl('f1') }), { secret: SECRET });
    expect(good.status).toBe(200);
    const after = (await bot.api.s.ops.list(100)).length;
    expect(after).toBe(before);
    faultReport('bad-requests', { requests: cases.length, statuses: statuses.join(','), new_operations: after - before, server_up_after: true });
  });
});

describe('two API processes and two workers on one Redis', () => {
  it('run each of 10 deploys once and spread them over both workers', async () => {
    const prefix = `chat-pair-${randomBytes(4).toString('hex')}:`;
    const a = await startBot(config(), { prefix });
    const b = await startBot(config(), { prefix });
    const ran = new Map<string, string>();
    a.worker.on('completed', (job) => ran.set(job.id ?? '', 'a'));
    b.worker.on('completed', (job) => ran.set(job.id ?? '', 'b'));
    try {
      const mark = auditMark('gz');
      const sent: Promise<Response>[] = [];
      for (let i = 0; i < 10; i++) {
        const app = APPS[i] ?? 'd0';
        const body = slashCommandBody({ command: '/deploy', text: `${app} v${10 + i} to prod`, user_id: PEOPLE.bob.slack, team_id: FAKE_TEAM_ID, channel_id: 'C0PAIR001', response_url: fake.responseUrl(`p${i}`), trigger_id: `pair-${prefix}-${i}` });
        // Each request goes to one API and, as a redelivery, to the other: it must still run once.
        for (const bot of [a, b]) sent.push(postSigned(`${bot.api.url}/slack/events`, body, { secret: SECRET }));
      }
      for (const r of await Promise.all(sent)) expect(r.status).toBe(200);
      const ops = await waitFor('10 finished operations', async () => {
        const all = await a.api.s.ops.list(100);
        return all.length >= 10 && all.every((o) => o.status === 'succeeded' || o.status === 'failed') ? all : undefined;
      }, 120_000, 500);
      expect(ops).toHaveLength(10);
      expect(ops.every((o) => o.status === 'succeeded')).toBe(true);
      // One write per deploy, whoever received it and whichever worker ran it.
      const writes = await countBotWrites(mark, { namespace: ns, successfulOnly: true });
      expect(writes).toBe(10);
      expect(new Set(ran.values())).toEqual(new Set(['a', 'b']));
      const byWorker = [...ran.values()];
      faultReport('two-apis-two-workers', { deploys: 10, deliveries: sent.length, operations: ops.length, bot_writes: writes, ran_on_worker_a: byWorker.filter((w) => w === 'a').length, ran_on_worker_b: byWorker.filter((w) => w === 'b').length });
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
