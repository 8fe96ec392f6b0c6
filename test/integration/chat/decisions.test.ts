import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../support/workloads.ts';
import { appNames, CLUSTERS, fleet, images } from '../jobs/upgrade-support.ts';
import { buttonValue, rigConfig, startRig, textOf, type Rig } from './slack-rig.ts';

/**
 * Decisions checked where they apply (issue 14), through signed Slack requests on the real
 * control plane: dave's rules name only staging; he starts a batch upgrade there, it pauses
 * after batch 1, and he rolls it back, once with the "Abort and roll back" button (during a
 * freeze and under bob's lock, which a rollback is not held back by) and once by typing
 * /abort <op> --rollback. Typed decisions are authorized against the upgrade's own environment
 * and apps, exactly as the buttons are.
 */
const APPS = appNames(2);
let rig: Rig;
let nsA: string;
let nsB: string;

beforeAll(async () => {
  [nsA, nsB] = (await Promise.all([fleet(APPS, 'dca', 'file'), fleet(APPS, 'dcb', 'file')])).map((n) => n.name) as [string, string];
  rig = await startRig((secret, apiUrl) =>
    rigConfig(secret, apiUrl, {
      clusters: CLUSTERS,
      environments: {
        staging: { clusters: [...CLUSTERS], namespace: nsA, registries: ['registry.example.com'] },
        qa: { clusters: [...CLUSTERS], namespace: nsB, registries: ['registry.example.com'] },
      },
      apps: Object.fromEntries(APPS.map((a) => [a, { image: REPO, maxReplicas: 10 }])),
      groups: { sre: ['bob'] },
      access: [
        // dave: staging and qa, by name; nothing for every environment (the old precheck asked for that).
        { name: 'dave-staging', who: ['dave'], verbs: ['upgrade', 'rollback'], envs: ['staging', 'qa'] },
        { name: 'sre', who: ['group:sre'], verbs: ['upgrade', 'rollback', 'freeze', 'lock', 'unlock'], envs: ['staging', 'qa'] },
      ],
    }),
  );
});

afterAll(async () => {
  await rig?.stop();
});

const upgradeLine = (env: string) => `/upgrade ${REPO}:v2 apps=${APPS.join(',')} env=${env} batches=gz,nj gate=manual`;

async function pausedUpgrade(env: string): Promise<string> {
  expect((await rig.slash('dave', upgradeLine(env))).status).toBe(200);
  const op = await rig.opOf(upgradeLine(env));
  const paused = await rig.waitForOp(op.id, ['paused']);
  expect(paused.summary).toContain('batch 1 of 2 is healthy');
  return op.id;
}

describe('decisions checked against the operation', () => {
  it('the "Abort and roll back" button (a confirm first) rolls batch 1 back, also during a freeze and under another person\'s lock', async () => {
    const opId = await pausedUpgrade('staging');
    expect(await images(nsA, APPS, 'gz')).toEqual(APPS.map(() => `${REPO}:v2`));
    const live = await rig.opMessage(opId, (t) => t.includes('Abort and roll back'));
    expect(buttonValue(live, 'abort_rollback')).toBe(opId);
    expect(textOf(live)).toContain(`Abort ${opId} and put the old image back`); // the confirm dialog

    // bob freezes staging and locks it: continuing is refused for dave (checked against staging), rolling back is not.
    for (const line of ['/ops freeze staging for 1h --reason "incident"', '/ops lock staging']) {
      const r = await rig.slash('bob', line);
      expect(textOf((await rig.response(r.responseUrl)).body)).toMatch(/Froze|Locked/);
    }
    const cont = await rig.slash('dave', `/ops continue ${opId}`);
    expect(textOf((await rig.response(cont.responseUrl)).body)).toMatch(/staging is frozen by bob/);

    const click = await rig.click('dave', 'abort_rollback', opId, live.ts);
    expect(click.status).toBe(200);
    expect(textOf((await rig.response(click.responseUrl)).body)).toContain('abort and roll back: decided by dave');
    const done = await rig.waitForOp(opId, ['cancelled', 'failed']);
    expect(done.status).toBe('cancelled');
    expect(done.summary).toContain('2 workload(s) rolled back to their old image');
    expect(await images(nsA, APPS, 'gz')).toEqual(APPS.map(() => `${REPO}:v1`));
    expect(await images(nsA, APPS, 'nj')).toEqual(APPS.map(() => `${REPO}:v1`));
  });

  it('typing /abort <op> --rollback does the same for the same person', async () => {
    const opId = await pausedUpgrade('qa');
    const typed = await rig.slash('dave', `/ops abort ${opId} --rollback`);
    expect(typed.ack).not.toMatch(/No access rule/);
    expect(textOf((await rig.response(typed.responseUrl)).body)).toContain('abort and roll back: decided by dave');
    const done = await rig.waitForOp(opId, ['cancelled', 'failed']);
    expect(done.status).toBe('cancelled');
    for (const c of CLUSTERS) expect(await images(nsB, APPS, c)).toEqual(APPS.map(() => `${REPO}:v1`));
    // And someone with no rule for qa is refused against qa, by name.
    const stranger = await rig.slash('carol', `/ops continue ${opId}`);
    expect(textOf((await rig.response(stranger.responseUrl)).body)).toMatch(/No access rule lets carol upgrade a00, a01 in qa/);
  });
});
