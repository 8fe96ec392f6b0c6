import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpRecord } from '../../../src/jobs/operations.ts';
import { auditMark, botWrites, type AuditMark } from '../support/audit.ts';
import { adminClients } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { REPO, createDeployment, ref, waitFor, waitForRollout, webTemplate } from '../support/workloads.ts';
import { rigConfig, startRig, textOf, type Rig } from './slack-rig.ts';

/**
 * Colliding requests are told, and queue (issue 14), through signed Slack requests on the real
 * control plane: five /deploy web vN to staging sent at once by five people. Each requester is
 * told at once whom their request waits for; the newest supersedes the older ones that have not
 * started (their live messages say so); and the apiserver's audit log shows exactly the writes
 * the answers promised: one per deploy that ran, none for a superseded one.
 */
const PEOPLE = ['bob', 'carol', 'dave', 'erin', 'alice'] as const;
let rig: Rig;
let ns: string;
const web = () => ref(ns, 'Deployment', 'web');

beforeAll(async () => {
  ns = (await testNamespace({ clusters: ['gz'], prefix: 'que', scope: 'file' })).name;
  await waitForRollout(adminClients('gz'), await createDeployment(adminClients('gz'), ns, 'web', { replicas: 2, tag: 'v1' }));
  rig = await startRig((secret, apiUrl) =>
    rigConfig(secret, apiUrl, {
      environments: { staging: { clusters: ['gz'], namespace: ns, registries: ['registry.example.com'] } },
      apps: { web: { image: REPO, container: 'web', maxReplicas: 10 } },
      groups: { team: [...PEOPLE] },
      access: [{ name: 'team', who: ['group:team'], verbs: ['deploy'], envs: ['staging'] }],
    }),
  );
});

afterAll(async () => {
  await rig?.stop();
});

/** The bot's accepted writes of web since the mark, as the image each one set. */
async function writtenImages(mark: AuditMark): Promise<string[]> {
  const writes = (await botWrites(mark, { namespace: ns, successfulOnly: true })).filter((w) => w.resource === 'deployments' && w.subresource === undefined && w.name === 'web');
  return writes.map((w) => /registry\.example\.com\/team\/web:[\w.-]+/.exec(JSON.stringify(w.requestObject))?.[0] ?? '?');
}

/** Five deploys of web, one per person, sent at the same moment; the private answer to each. */
async function fiveAtOnce(tags: readonly string[]): Promise<{ line: string; said: string; op: OpRecord }[]> {
  const lines = tags.map((t) => `/deploy web ${t} to staging`);
  const sent = await Promise.all(lines.map((line, i) => rig.slash(PEOPLE[i] ?? 'bob', line)));
  for (const r of sent) expect(r.status).toBe(200);
  return Promise.all(
    lines.map(async (line, i) => {
      const op = await rig.opOf(line);
      const said = await waitFor(`an answer to ${line}`, () => rig.fake.responses.find((r) => r.id === (sent[i]?.responseUrl.split('/').at(-1) ?? '')), 5000, 50).then(
        (r) => textOf(r.body),
        () => '',
      );
      return { line, said, op };
    }),
  );
}

const FINAL = ['succeeded', 'failed', 'blocked', 'cancelled', 'expired'] as const;

/** Newest first, as the queue orders them: by request time, then id. */
function byAge(ops: readonly OpRecord[]): OpRecord[] {
  return [...ops].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
}

describe('colliding requests queue', () => {
  it('behind a running deploy: all five are told whom they wait for, the newest supersedes the other four, two writes in all', async () => {
    const mark = auditMark('gz');
    // A deploy that keeps web busy: its rollout fails only at the 10 s progress deadline.
    await rig.slash('alice', '/deploy web broken to staging');
    const busy = await rig.opOf('/deploy web broken to staging');
    await rig.waitForOp(busy.id, ['running']);

    const five = await fiveAtOnce(['v11', 'v12', 'v13', 'v14', 'v15']);
    // Each is told at once, privately: whom it waits for, or (when a newer one came in first) who superseded it.
    for (const f of five) expect(f.said).toMatch(new RegExp(`Queued behind ${busy.id} \\(deploy web broken in staging by alice, running\\)|Superseded by op-[0-9a-f]+ \\(deploy web v1\\d in staging`));

    const ended = await Promise.all(five.map((f) => rig.waitForOp(f.op.id, FINAL)));
    expect((await rig.waitForOp(busy.id, FINAL)).status).toBe('failed');
    // The newest runs: with two asked for in the same millisecond, the one the queue took last.
    const seen = JSON.stringify(byAge(ended).map((e) => [e.id, e.createdAt, e.status, e.summary]));
    const ran = ended.filter((e) => e.status === 'succeeded');
    expect(ran, seen).toHaveLength(1);
    const newest = ran[0];
    expect(newest?.createdAt, seen).toBe(byAge(ended)[0]?.createdAt);
    const older = ended.filter((e) => e !== newest);
    for (const o of older) {
      expect(o.status, `${o.id}: ${o.summary}; all, newest first: ${seen}`).toBe('cancelled');
      const by = /^Superseded by (op-[0-9a-f]+) \(deploy web (v\d+) in staging by \w+\)/.exec(o.summary);
      expect(by, o.summary).not.toBeNull();
      expect(ended.find((e) => e.id === by?.[1])?.createdAt ?? '').not.toBe('');
      expect(textOf(await rig.opMessage(o.id, (t) => t.includes('Superseded by')))).toContain('cancelled');
    }
    const newestTag = five.find((f) => f.op.id === newest?.id)?.line.split(' ')[2];
    await waitForRollout(adminClients('gz'), web());
    expect((await webTemplate(adminClients('gz'), web())).image).toBe(`${REPO}:${newestTag ?? '?'}`);
    // What the answers promised: broken (it ran, and failed) and the newest; nothing for the superseded four.
    expect(await writtenImages(mark)).toEqual([`${REPO}:broken`, `${REPO}:${newestTag ?? '?'}`]);
  });

  it('with nothing running: the newest runs, every older one either ran before it or was superseded, and each write is one of those', async () => {
    const mark = auditMark('gz');
    const five = await fiveAtOnce(['v21', 'v22', 'v23', 'v24', 'v25']);
    const ended = await Promise.all(five.map((f) => rig.waitForOp(f.op.id, FINAL)));
    const seen = JSON.stringify(byAge(ended).map((e) => [e.id, e.createdAt, e.status, e.summary]));
    const ran = ended.filter((o) => o.status === 'succeeded');
    for (const o of ended.filter((x) => x.status !== 'succeeded')) expect(o.summary, seen).toMatch(/^Superseded by op-/);
    // Anyone told "queued behind" was told of an operation asked for before theirs.
    for (const f of five) {
      const behind = /Queued behind (op-[0-9a-f]+)/.exec(f.said)?.[1];
      if (behind !== undefined) expect(ended.find((e) => e.id === behind)?.createdAt.localeCompare(f.op.createdAt)).toBeLessThanOrEqual(0);
    }
    const imageOf = (o: OpRecord) => `${REPO}:${five.find((f) => f.op.id === o.id)?.line.split(' ')[2] ?? '?'}`;
    const written = await writtenImages(mark);
    // Each write is one of those that ran, once each.
    expect([...written].sort(), seen).toEqual(ran.map(imageOf).sort());
    // In the order they were asked for: none asked for before another writes after it. Two asked
    // for in the same millisecond may go either way (the queue orders them as it took them).
    const askedAt = (image: string | undefined) => ran.find((o) => imageOf(o) === image)?.createdAt ?? '';
    for (let i = 1; i < written.length; i++) expect(askedAt(written[i - 1]).localeCompare(askedAt(written[i])), `${written.join(', ')}; ${seen}`).toBeLessThanOrEqual(0);
    // The newest runs: the last write is of one asked for last, and it is what runs now.
    expect(askedAt(written.at(-1)), seen).toBe(byAge(ended)[0]?.createdAt);
    expect((await webTemplate(adminClients('gz'), web())).image).toBe(written.at(-1));
  });
});
