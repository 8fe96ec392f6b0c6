import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseImageRef } from '../../../src/core/image-ref.ts';
import { kubeCall } from '../../../src/kube/errors.ts';
import { canonicalRepository } from '../../../src/kube/images.ts';
import { adminClients, botGateway } from '../support/cluster.ts';
import { testNamespace } from '../support/namespace.ts';
import { REPO, waitFor, waitForRollout } from '../support/workloads.ts';

/**
 * The local clusters' kwok stages write each container's imageID as a kubelet does after a
 * pull, and the bot reads them back. Here the expectation is worked out independently, in
 * TypeScript from the documented rule (docs/local-cluster.md), against the Go template kwok runs.
 */
function expectedImageId(image: string): string {
  const repo = canonicalRepository(image) ?? '';
  const r = parseImageRef(image);
  const digest = (r.ok ? r.value.digest : undefined) ?? `sha256:${createHash('sha256').update(`${repo}:${(r.ok ? r.value.tag : undefined) ?? 'latest'}`).digest('hex')}`;
  return `${repo}@${digest}`;
}

const PINNED = `sha256:${'c'.repeat(64)}`;
const IMAGES = {
  web: `${REPO}:v1`,
  hub: 'nginx:1.27',
  latest: 'busybox',
  port: 'localhost:5000/team/tool:probe500',
  pinned: `${REPO}:v9@${PINNED}`,
};

describe('image digests of running pods', () => {
  it.each(['gz', 'nj'])('on %s: every container reports <canonical repository>@<digest>, the same on every cluster and every pod', async (clusterName) => {
    const ns = await testNamespace({ clusters: [clusterName], prefix: 'digest' });
    const admin = adminClients(clusterName);
    const containers = Object.entries(IMAGES).map(([name, image]) => ({ name, image }));
    await kubeCall({ cluster: clusterName, verb: 'create', resource: 'deployments', namespace: ns.name }, () =>
      admin.apps.createNamespacedDeployment({
        namespace: ns.name,
        body: {
          metadata: { name: 'web', labels: { app: 'web' } },
          spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { terminationGracePeriodSeconds: 0, containers } } },
        },
      }),
    );
    const ref = { namespace: ns.name, kind: 'Deployment' as const, name: 'web' };
    await waitForRollout(admin, ref);
    const pods = await waitFor('2 pods with image ids', async () => {
      const p = await botGateway(clusterName).pods(ref);
      return p.length === 2 && p.every((x) => x.containers.every((c) => c.imageID !== undefined)) ? p : undefined;
    });
    for (const pod of pods) {
      expect(pod.ready).toBe(true);
      expect(pod.readySince).toBeInstanceOf(Date);
      expect(pod.containers.map((c) => [c.name, c.imageID])).toEqual(containers.map((c) => [c.name, expectedImageId(c.image)]));
      expect(pod.containers.map((c) => c.digest)).toEqual(containers.map((c) => expectedImageId(c.image).split('@')[1]));
    }
    // Spelled out once, so the rule is visible here and not only in the helper.
    expect(pods[0]?.containers.find((c) => c.name === 'hub')?.imageID).toBe(`docker.io/library/nginx@sha256:${createHash('sha256').update('docker.io/library/nginx:1.27').digest('hex')}`);
    expect(pods[0]?.containers.find((c) => c.name === 'pinned')?.imageID).toBe(`${REPO}@${PINNED}`);
  });

  it('a crash-looping container (the broken-image stage) reports its image id too', async () => {
    const ns = await testNamespace({ prefix: 'digest' });
    const admin = adminClients();
    const image = `${REPO}:broken`;
    await kubeCall({ cluster: 'gz', verb: 'create', resource: 'deployments', namespace: ns.name }, () =>
      admin.apps.createNamespacedDeployment({
        namespace: ns.name,
        body: {
          metadata: { name: 'web', labels: { app: 'web' } },
          spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } } },
        },
      }),
    );
    const pods = await waitFor('the crash-looping pod with its image id', async () => {
      const p = await botGateway().pods({ namespace: ns.name, kind: 'Deployment', name: 'web' });
      return p[0]?.containers[0]?.imageID === undefined ? undefined : p;
    });
    expect(pods[0]?.ready).toBe(false);
    expect(pods[0]?.containers[0]).toMatchObject({ imageID: expectedImageId(image), ready: false });
  });
});
