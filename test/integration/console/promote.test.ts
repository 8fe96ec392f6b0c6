import { beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../../src/core/message.ts';
import { patchWorkload } from '../../../src/kube/workload.ts';
import { approvalOfButton } from '../../../src/service/messages.ts';
import { adminClients } from '../support/cluster.ts';
import { REPO, createDeployment, pods, rollTemplate, waitFor, waitForRollout, webTemplate } from '../support/workloads.ts';
import { botMessage, finished, gateWorld, say, type GateWorld } from './gate-support.ts';
import { textOf } from './support.ts';

/**
 * /promote on the real control plane, two clusters (gz, nj) per environment, asked for and
 * approved in the console: prod gets exactly the digest staging runs, or nothing at all.
 */
let w: GateWorld;
const CLUSTERS = ['gz', 'nj'] as const;

const web = (env: string) => ({ namespace: w.namespace(env), kind: 'Deployment' as const, name: 'web' });

beforeAll(async () => {
  w = await gateWorld({ clusters: [...CLUSTERS], prefix: 'prm' });
  await Promise.all(
    CLUSTERS.flatMap((c) => [
      createDeployment(adminClients(c), w.namespace('staging'), 'web', { replicas: 2, tag: 'v2', progressDeadlineSeconds: 120 }).then((r) => waitForRollout(adminClients(c), r)),
      createDeployment(adminClients(c), w.namespace('prod'), 'web', { replicas: 2, tag: 'v1', progressDeadlineSeconds: 120 }).then((r) => waitForRollout(adminClients(c), r)),
    ]),
  );
});

/** Puts staging's web on these images (as someone outside the bot would), and waits for the rollouts. */
async function staging(images: Record<(typeof CLUSTERS)[number], string>): Promise<void> {
  await Promise.all(
    CLUSTERS.map(async (c) => {
      const admin = adminClients(c);
      if ((await webTemplate(admin, web('staging'))).image === images[c]) return;
      if (images[c].startsWith(`${REPO}:`)) await rollTemplate(admin, web('staging'), images[c].slice(REPO.length + 1));
      else await patchWorkload(admin, web('staging'), 'strategic', { spec: { template: { spec: { containers: [{ name: 'web', image: images[c] }] } } } });
      await waitForRollout(admin, web('staging'));
    }),
  );
}

/** The digests the web containers of an env's pods report on a cluster (as the admin reads them). */
async function digests(cluster: string, env: string): Promise<string[]> {
  const list = await pods(adminClients(cluster), w.namespace(env), 'web');
  return [...new Set(list.map((p) => p.status?.containerStatuses?.find((s) => s.name === 'web')?.imageID?.split('@')[1] ?? 'none'))];
}

const approveButton = (m: Message) => m.buttons.find((b) => b.action === 'approve')?.value;

async function approve(channel: string, opId: string): Promise<void> {
  const asked = await botMessage(w, channel, opId, (m) => approveButton(m) !== undefined);
  const r = await w.c.post('/console/api/click', { as: 'bob', channel, action: 'approve', value: approveButton(asked) });
  expect(textOf(r.body['reply'] as Message)).toContain('Approved by bob');
}

describe('/promote web from staging to prod', () => {
  it('prod gets the staging digest on both clusters, approved as a deploy to prod; a rollback to the tag still finds it', async () => {
    await staging({ gz: `${REPO}:v2`, nj: `${REPO}:v2` });
    const [dgz, dnj] = await Promise.all([digests('gz', 'staging'), digests('nj', 'staging')]);
    expect(dgz).toHaveLength(1);
    expect(dnj).toEqual(dgz);
    const digest = dgz[0] ?? '';
    expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    const pinned = `${REPO}:v2@${digest}`;

    const channel = 'console:promote';
    const opId = await say(w, 'alice', channel, '/promote web from staging to prod');
    expect(opId).toMatch(/^op-/);
    const asked = await botMessage(w, channel, opId ?? '', (m) => approveButton(m) !== undefined);
    expect(asked.status).toBe('needs_approval');
    expect(asked.text).toMatch(new RegExp(`^Promoting what staging has run since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC: ${pinned.replace(/[.@]/g, '\\$&')}\\.`));
    expect(asked.fields).toEqual(expect.arrayContaining([{ label: 'From', value: 'staging' }, { label: 'Image', value: pinned }]));
    expect(asked.sections?.find((s) => s.heading === 'staging runs it on')?.lines).toEqual([
      `gz (${'gz'}) ${w.namespace('staging')}/web: ${REPO}:v2`,
      `nj (${'nj'}) ${w.namespace('staging')}/web: ${REPO}:v2`,
    ]);
    expect(asked.mentions).toEqual(['bob', 'carol']);

    await approve(channel, opId ?? '');
    const op = await finished(w, opId ?? '');
    expect(op.status, op.summary).toBe('succeeded');
    expect(op.result?.targets.map((t) => [t.cluster, t.outcome])).toEqual([
      ['gz', 'done'],
      ['nj', 'done'],
    ]);
    for (const t of op.result?.targets ?? []) expect(t.message).toContain('probe passed 3 time(s) in a row');
    for (const c of CLUSTERS) {
      expect((await webTemplate(adminClients(c), web('prod'))).image).toBe(pinned);
      expect(await waitFor(`prod pods on ${c} to run only the digest`, async () => {
        const d = await digests(c, 'prod');
        return d.length === 1 && d[0] === digest ? d : undefined;
      })).toEqual([digest]);
    }
    const done = await botMessage(w, channel, opId ?? '', (m) => m.status === 'succeeded');
    expect(done.fields.find((f) => f.label === 'Promoting')?.value).toMatch(/^what staging has run since \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);

    // The pinned image keeps its tag: after another deploy, /rollback … to v2 finds the promoted revision.
    const other = await say(w, 'bob', channel, '/deploy web v1 to prod');
    const otherOp = await finished(w, other ?? '');
    expect(otherOp.status, otherOp.summary).toBe('succeeded');
    const back = await say(w, 'bob', channel, '/rollback web in prod to v2');
    const backOp = await finished(w, back ?? '');
    expect(backOp.status, backOp.summary).toBe('succeeded');
    for (const c of CLUSTERS) expect((await webTemplate(adminClients(c), web('prod'))).image).toBe(pinned);
  });

  it.each([
    ['the two staging clusters run different images', { gz: `${REPO}:v3`, nj: `${REPO}:v2` }, 'staging runs different images on gz and nj', true],
    ['staging answers its probe with 500', { gz: `${REPO}:probe500`, nj: `${REPO}:probe500` }, 'staging is not healthy on gz: its probe fails', true],
    ['staging runs an image from a registry prod may not pull from', { gz: 'localhost:5000/team/web:v2', nj: 'localhost:5000/team/web:v2' }, 'prod may not pull from localhost:5000/team/web', false],
  ])('refused, nothing queued, when %s', async (_name, images, reason, table) => {
    await staging(images);
    const before = await Promise.all(CLUSTERS.map(async (c) => (await webTemplate(adminClients(c), web('prod'))).image));
    const channel = `console:refused-${images.gz.replace(/[^a-z0-9]/g, '')}`;
    const opId = await say(w, 'alice', channel, '/promote web from staging to prod');
    expect(opId).toBeUndefined();
    const refusal = await botMessage(w, channel, reason);
    expect(refusal.status).toBe('error');
    expect(refusal.title).toBe("I couldn't prepare that");
    expect(refusal.context).toContain('nothing was changed');
    const rows = refusal.sections?.find((s) => s.heading === 'staging runs')?.lines ?? [];
    if (table) {
      // One row per staging cluster: what it runs, its digest, and whether it is healthy.
      expect(rows).toHaveLength(2);
      for (const c of CLUSTERS) {
        const [d] = await digests(c, 'staging');
        expect(rows.find((r) => r.startsWith(`${c} (${c}): ${images[c]} = `))).toContain(d?.slice(0, 'sha256:'.length + 12));
      }
    }
    expect(await Promise.all(CLUSTERS.map(async (c) => (await webTemplate(adminClients(c), web('prod'))).image))).toEqual(before);
    expect((await w.bot.api.s.ops.list(1000)).filter((o) => o.createdAt > new Date(Date.now() - 5000).toISOString() && o.env === 'prod')).toEqual([]);
  });

  it('cluster=gz promotes gz-staging\'s image to gz-prod even while nj-staging runs another', async () => {
    await staging({ gz: `${REPO}:v3`, nj: `${REPO}:v2` });
    const [digest] = await digests('gz', 'staging');
    const channel = 'console:promote-gz';
    const opId = await say(w, 'alice', channel, '/promote web from staging to prod cluster=gz');
    const asked = await botMessage(w, channel, opId ?? '', (m) => approveButton(m) !== undefined);
    expect(asked.fields).toContainEqual({ label: 'Image', value: `${REPO}:v3@${digest ?? ''}` });
    expect(asked.sections?.find((s) => s.heading === 'staging runs it on')?.lines).toEqual([`gz (gz) ${w.namespace('staging')}/web: ${REPO}:v3`]);
    await say(w, 'alice', channel, `/cancel ${approvalOfButton(approveButton(asked) ?? '').id}`);
    await waitFor('the request to be cancelled', async () => ((await w.bot.api.s.ops.get(opId ?? ''))?.status === 'cancelled' ? true : undefined));
  });

  it('a source that changes between the request and the run blocks the promotion: nothing is changed, and it says to ask again', async () => {
    await staging({ gz: `${REPO}:v4`, nj: `${REPO}:v4` });
    const [digest] = await digests('gz', 'staging');
    const before = await Promise.all(CLUSTERS.map(async (c) => (await webTemplate(adminClients(c), web('prod'))).image));
    const channel = 'console:promote-moved';
    const opId = await say(w, 'alice', channel, '/promote web from staging to prod');
    await botMessage(w, channel, opId ?? '', (m) => approveButton(m) !== undefined);
    // Someone deploys v5 to staging on gz after alice asked, before bob approves.
    await staging({ gz: `${REPO}:v5`, nj: `${REPO}:v4` });
    await approve(channel, opId ?? '');
    const op = await finished(w, opId ?? '');
    expect(op.status, op.summary).toBe('blocked');
    expect(op.summary).toContain(`staging on gz no longer runs ${digest?.slice(0, 'sha256:'.length + 12) ?? ''}…`);
    expect(op.summary).toContain('request the promotion again');
    expect(await Promise.all(CLUSTERS.map(async (c) => (await webTemplate(adminClients(c), web('prod'))).image))).toEqual(before);
    const msg = await botMessage(w, channel, opId ?? '', (m) => m.title.endsWith(': blocked'));
    expect(textOf(msg)).toContain('no longer runs');
    const audit = await w.bot.api.s.audit.query({ opId: opId ?? '', limit: 50 });
    expect(audit.some((e) => e.kind === 'step' && e.summary.startsWith('promotion blocked'))).toBe(true);
    expect(audit.some((e) => e.kind === 'blocked')).toBe(true);
  });
});
