import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botWrites, auditMark } from '../support/audit.ts';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { REPO, createDeployment, ref, waitFor, waitForRollout, webTemplate } from '../support/workloads.ts';
import { buttonValue, rigConfig, startRig, textOf, type Rig } from './slack-rig.ts';

/**
 * Rollback goes back, never forward (issue 14), through signed Slack requests on the real
 * control plane: a :broken deploy in an environment with automatic rollback is rolled back;
 * then a plain /rollback writes nothing and says why; after a second good deploy, /rollback
 * lands on the first good revision; /rollback to the broken revision asks for the deploy's
 * approval and says why. The apiserver's audit log shows what the bot wrote.
 */
let rig: Rig;
let ns: string;
const web = () => ref(ns, 'Deployment', 'web');
const image = async () => (await webTemplate(adminClients('gz'), web())).image;

beforeAll(async () => {
  ns = (await testNamespace({ clusters: ['gz'], prefix: 'rbh', scope: 'file' })).name;
  await waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns, 'web', { replicas: 2, tag: 'v1' }));
  rig = await startRig((secret, apiUrl) =>
    rigConfig(secret, apiUrl, {
      environments: { staging: { clusters: ['gz'], namespace: ns, registries: ['registry.example.com'], autoRollback: true } },
      apps: { web: { image: REPO, container: 'web', maxReplicas: 10 } },
      groups: { devs: ['alice'], sre: ['bob', 'carol'] },
      access: [
        { name: 'sre', who: ['group:sre'], verbs: ['deploy', 'rollback'], envs: ['staging'] },
        { name: 'devs-deploy', who: ['group:devs'], verbs: ['deploy'], envs: ['staging'], approval: { count: 1, from: ['group:sre'], expires: '30m' } },
        { name: 'devs-rollback', who: ['group:devs'], verbs: ['rollback'], envs: ['staging'] },
        { name: 'reads', who: ['*'], verbs: ['audit', 'revisions'], envs: ['*'] },
      ],
    }),
  );
});

afterAll(async () => {
  await rig?.stop();
});

/** Deployment writes the bot made since the mark (its patches of web). */
async function webWrites(mark: ReturnType<typeof auditMark>) {
  return (await botWrites(mark, { namespace: ns, successfulOnly: true })).filter((w) => w.resource === 'deployments' && w.subresource === undefined);
}

describe('rollback goes back, never forward', () => {
  it('after an automatic rollback of :broken, /rollback writes nothing and says why; after a good deploy it lands on the first good revision; to the broken one it is a deploy', async () => {
    // 1. A broken deploy, rolled back by itself.
    expect((await rig.slash('bob', '/deploy web broken to staging')).status).toBe(200);
    const broken = await rig.opOf('/deploy web broken to staging');
    const failed = await rig.waitForOp(broken.id, ['failed']);
    expect(failed.result?.targets[0]?.outcome).toBe('rolled_back');
    expect(failed.result?.targets[0]?.message).toContain(`rolled back to ${REPO}:v1`);
    expect(await image()).toBe(`${REPO}:v1`);

    // 2. A plain /rollback now would put the broken image back: it writes nothing and says why.
    let mark = auditMark('gz');
    const plain = await rig.slash('alice', '/rollback web in staging');
    const said = textOf((await rig.response(plain.responseUrl)).body);
    expect(said).toMatch(/Nothing to roll back/);
    expect(said).toMatch(/web on gz is back on v1 \(revision \d+\) since \d\d:\d\d UTC; broken \(revision \d+\) failed at \d\d:\d\d UTC \(op-[0-9a-f]+\), rolled back from at/);
    expect(await rig.opsOf('/rollback web in staging')).toEqual([]);
    expect(await webWrites(mark)).toEqual([]);

    // 3. A second good deploy, then /rollback: back to v1, the first good one (not to broken).
    await rig.slash('bob', '/deploy web v3 to staging');
    await rig.waitForOp((await rig.opOf('/deploy web v3 to staging')).id, ['succeeded']);
    expect(await image()).toBe(`${REPO}:v3`);
    mark = auditMark('gz');
    await rig.slash('alice', '/rollback web in staging');
    const back = await rig.opOf('/rollback web in staging');
    expect((await rig.waitForOp(back.id, ['succeeded'])).status).toBe('succeeded');
    await waitForRollout(adminClients('gz'), web());
    expect(await image()).toBe(`${REPO}:v1`);
    const writes = await webWrites(mark);
    expect(writes).toHaveLength(1);
    expect(JSON.stringify(writes[0]?.requestObject)).toContain(`${REPO}:v1`);
    // The plan showed where it lands: revision, image, age, health.
    const plan = textOf(await rig.opMessage(back.id, (t) => t.includes('succeeded')));
    expect(plan).toMatch(new RegExp(`gz: to revision \\d+ \\(${REPO.replaceAll('/', '\\/').replaceAll('.', '\\.')}:v1, made \\d+ (s|min) ago, complete since \\d\\d:\\d\\d UTC`));

    // 4. /rollback to the broken revision goes forward: decided as a deploy (alice needs an approval), and said so.
    mark = auditMark('gz');
    await rig.slash('alice', '/rollback web in staging to broken');
    const forward = await rig.opOf('/rollback web in staging to broken');
    expect(forward.status).toBe('awaiting_approval');
    const asked = await rig.opMessage(forward.id, (t) => t.includes('decided as a deploy'));
    expect(textOf(asked)).toMatch(/This rollback goes forward, not back \(gz: broken \(revision \d+\) failed at/);
    expect(textOf(asked)).toContain(`${REPO}:broken, made`);
    expect(buttonValue(asked, 'approve')).toMatch(/^apr-/);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await webWrites(mark)).toEqual([]);

    // 5. The audit log answers which revisions of web were good and when.
    const audit = await rig.slash('alice', '/ops audit web in staging limit=50');
    const rows = textOf((await rig.response(audit.responseUrl)).body);
    expect(rows).toMatch(/revision bob: web on gz: revision \d+ \w+ \(broken\) failed/);
    expect(rows).toMatch(/revision bob: web on gz: revision \d+ \w+ \(broken\) rolled back from/);
    expect(rows).toMatch(/revision alice: web on gz: revision \d+ \w+ \(v1\) complete/);
    expect(rows).toMatch(/revision bob: web on gz: revision \d+ \w+ \(v3\) (complete|rolled back from)/);
    await waitFor('no Slack limit broken', () => (rig.fake.violations.length === 0 ? true : undefined), 1000);
  });
});
