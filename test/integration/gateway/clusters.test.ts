import { describe, expect, it } from 'vitest';
import { gatewayFor } from '../../../src/kube/gateway.ts';
import { adminClients } from '../support/cluster.ts';
import { auditMark, botWrites } from '../support/audit.ts';
import { testNamespace } from '../support/namespace.ts';
import { REPO, createDeployment, waitForRollout, webTemplate } from '../support/workloads.ts';

describe('two clusters (gz, nj)', () => {
  it('are both reachable through gateways built from the config, and a change on one leaves the other alone', async () => {
    const ns = await testNamespace({ clusters: ['gz', 'nj'] });
    expect(ns.rbac?.map((r) => r.cluster)).toEqual(['gz', 'nj']);
    const gzAdmin = adminClients('gz');
    const njAdmin = adminClients('nj');
    const ref = await createDeployment(gzAdmin, ns.name, 'web', { replicas: 2 });
    await createDeployment(njAdmin, ns.name, 'web', { replicas: 2 });
    await Promise.all([waitForRollout(gzAdmin, ref), waitForRollout(njAdmin, ref)]);

    const gz = gatewayFor(ns.config, 'gz');
    const nj = gatewayFor(ns.config, 'nj');
    expect([gz.cluster, gz.region, nj.cluster, nj.region]).toEqual(['gz', 'gz', 'nj', 'nj']);
    const [gzStatus, njStatus] = await Promise.all([gz.status(ref), nj.status(ref)]);
    expect(gzStatus.cluster).toBe('gz');
    expect(njStatus.cluster).toBe('nj');

    const marks = { gz: auditMark('gz'), nj: auditMark('nj') };
    const set = await gz.setImage({ ...ref, image: `${REPO}:v2` });
    expect((await gz.followRollout(ref, { timeoutMs: 60_000, minGeneration: set.generation })).outcome).toBe('complete');

    expect(await webTemplate(gzAdmin, ref)).toMatchObject({ image: `${REPO}:v2` });
    expect(await webTemplate(njAdmin, ref)).toMatchObject({ image: `${REPO}:v1` });
    expect((await nj.status(ref)).generation).toBe(1);
    expect((await botWrites(marks.gz, { namespace: ns.name, successfulOnly: true })).length).toBe(1);
    expect(await botWrites(marks.nj, { namespace: ns.name })).toEqual([]);

    // A workload that exists only on nj is not found on gz, and the message says where.
    const api = await createDeployment(njAdmin, ns.name, 'api', { replicas: 1 });
    expect((await nj.status(api)).replicas.desired).toBe(1);
    await expect(gz.status(api)).rejects.toMatchObject({
      kind: 'not_found',
      retryable: false,
      message: `Deployment api was not found in namespace ${ns.name} on cluster gz`,
    });
  });
});
