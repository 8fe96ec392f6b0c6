import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { createDeployment } from '../support/workloads.ts';
import { replies, settle, sleep, startAlertsBot, textOf, topLevel, waitFor, type AlertsHarness } from './support.ts';

/**
 * Kubernetes Warning events on the real control plane as alerts: a Deployment rolled out with
 * a `:broken` image by the admin directly (not through the bot, so no job failure can stand in)
 * crash-loops in every pod; its BackOff events become ONE alert message in the subscribed
 * channel, not one per pod or restart.
 */
const CHANNEL = 'C0KUBEVTS';
let h: AlertsHarness;
let ns: string;

beforeAll(async () => {
  ns = (await testNamespace({ clusters: ['gz'], prefix: 'kevents', scope: 'file' })).name;
  h = await startAlertsBot(ns, {
    defaults: { groupWait: '2s' },
    routes: [{ match: { env: 'prod' }, channels: [`slack:${CHANNEL}`] }],
    kubernetes: [{ cluster: 'gz', resolveAfter: '10m' }],
  }, { knobs: { alertsLeaseTtlMs: 3000 } });
});

afterAll(async () => {
  await h?.close();
});

describe('Kubernetes Warning events', () => {
  it('a :broken rollout made by the admin gives one alert message for the Deployment, however many pods back off', async () => {
    await sleep(1500); // the watcher takes the lease and lists
    await createDeployment(adminClients('gz'), ns, 'web', { replicas: 3, tag: 'broken' });
    const msg = await waitFor('the BackOff alert', () => topLevel(h, CHANNEL).find((m) => textOf(m).includes('BackOff')), 60_000, 200);
    // Every pod's event arrives (kwok marks each pod 1-3 s after it starts); then nothing new is posted.
    await sleep(8000);
    await settle(h, CHANNEL);
    const top = topLevel(h, CHANNEL);
    expect(top).toHaveLength(1);
    const text = textOf(top[0] ?? msg);
    expect(text).toContain('BackOff: web in prod');
    expect(text).toContain('Deployment web');
    expect(text).toContain(ns);
    expect(text).toMatch(/seen [3-9] times/);
    // The details went to the thread once; later pods only edited the message (count ×N).
    expect(replies(h, CHANNEL, msg.ts).filter((m) => textOf(m).includes('Alert details'))).toHaveLength(1);
    const fps = await h.bot.api.s.redis.keys(`${h.bot.api.s.prefix}alerts:a:k8s-*`);
    expect(fps.filter((k) => !k.endsWith(':groups'))).toHaveLength(1);
  });
});
