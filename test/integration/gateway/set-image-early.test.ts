import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { StaleRequest } from '../../../src/kube/retry.ts';
import { adminClients, botGateway } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { REPO, createDeployment, waitForRollout, webTemplate } from '../support/workloads.ts';

/**
 * setImage computing its write from a read made earlier (the worker reads an approved deploy's
 * workloads when it picks the job up): however old that read, the write stays conditional on
 * its resourceVersion, so a workload changed since is read again and checked again, never
 * overwritten from the old state.
 */
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('setImage from an earlier read', () => {
  it.each([
    {
      name: 'a change elsewhere since the read: written from a fresh read',
      change: { metadata: { annotations: { 'example.com/touched': 'yes' } } },
      image: `${REPO}:v2`,
    },
    {
      name: 'the image moved since the read: refused as stale, the other change kept',
      change: { spec: { template: { spec: { containers: [{ name: 'web', image: `${REPO}:v3` }] } } } },
      image: `${REPO}:v3`,
    },
  ])('$name', async ({ change, image }) => {
    const ns = await testNamespace();
    const admin = adminClients();
    const ref = await createDeployment(admin, ns.name);
    await waitForRollout(admin, ref);
    const gw = botGateway();
    const early = await gw.read(ref);
    await admin.apps.patchNamespacedDeployment({ name: ref.name, namespace: ns.name, body: change }, merge);

    const write = gw.setImage({ ...ref, image: `${REPO}:v2`, expectedFrom: `${REPO}:v1` }, { firstRead: Promise.resolve(early) });
    if (image === `${REPO}:v2`) {
      expect((await write).changed).toBe(true);
    } else {
      await expect(write).rejects.toBeInstanceOf(StaleRequest);
    }
    expect((await webTemplate(admin, ref)).image).toBe(image);
  });

  it('an early read that failed, or of another workload, is not used: the write reads for itself', async () => {
    const ns = await testNamespace();
    const admin = adminClients();
    const ref = await createDeployment(admin, ns.name);
    const other = await createDeployment(admin, ns.name, 'api');
    await waitForRollout(admin, ref);
    const gw = botGateway();

    const failed = Promise.reject(new Error('the early read failed'));
    const first = await gw.setImage({ ...ref, image: `${REPO}:v2`, expectedFrom: `${REPO}:v1` }, { firstRead: failed });
    expect(first.changed).toBe(true);
    expect(first.containers).toEqual([{ container: 'web', from: `${REPO}:v1`, to: `${REPO}:v2` }]);

    // A read of `api` (still on v1) handed to a write of `web` (now v2): web's own state counts.
    const second = await gw.setImage({ ...ref, image: `${REPO}:v2`, expectedFrom: `${REPO}:v1` }, { firstRead: gw.read(other) });
    expect(second.changed).toBe(false);
    expect((await webTemplate(admin, ref)).image).toBe(`${REPO}:v2`);
    expect((await webTemplate(admin, other)).image).toBe(`${REPO}:v1`);
  });
});
