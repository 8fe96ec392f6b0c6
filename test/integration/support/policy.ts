import { AdmissionregistrationV1Api } from '@kubernetes/client-node';
import { onTestFinished } from 'vitest';
import { kubeCall } from '../../../src/kube/errors.ts';
import { adminClients } from './cluster.ts';
import { uniqueName } from './namespace.ts';
import { waitFor } from './workloads.ts';

export const REPLICA_CAP_MESSAGE = 'replicas are capped at';

/**
 * A ValidatingAdmissionPolicy (built into the apiserver, CEL) with its binding, created by the
 * admin and scoped to one namespace: Deployments and StatefulSets, and their scale
 * subresource (a Scale object also has spec.replicas), may not have more than `max` replicas.
 * Removed when the test ends. Resolves once the apiserver enforces it (policies are picked up
 * by an informer, not at once): an admin dry run of a Deployment over the cap is refused.
 */
export async function capReplicas(clusterName: string, namespace: string, max: number): Promise<string> {
  const admin = adminClients(clusterName);
  const api = admin.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const name = uniqueName('cap-replicas');
  const message = `${REPLICA_CAP_MESSAGE} ${max} in ${namespace}`;
  await kubeCall({ cluster: clusterName, verb: 'create', resource: 'validatingadmissionpolicies', name }, () =>
    api.createValidatingAdmissionPolicy({
      body: {
        metadata: { name },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: {
            resourceRules: [
              { apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments', 'statefulsets', 'deployments/scale', 'statefulsets/scale'] },
            ],
          },
          validations: [{ expression: `!has(object.spec.replicas) || object.spec.replicas <= ${max}`, message }],
        },
      },
    }),
  );
  onTestFinished(async () => {
    await api.deleteValidatingAdmissionPolicyBinding({ name }).catch(() => undefined);
    await api.deleteValidatingAdmissionPolicy({ name }).catch(() => undefined);
  });
  await kubeCall({ cluster: clusterName, verb: 'create', resource: 'validatingadmissionpolicybindings', name }, () =>
    api.createValidatingAdmissionPolicyBinding({
      body: {
        metadata: { name },
        spec: { policyName: name, validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } } },
      },
    }),
  );
  await waitFor(`policy ${name} enforced`, async () => {
    const probe = uniqueName('cap-probe');
    try {
      await admin.apps.createNamespacedDeployment({
        namespace,
        dryRun: 'All',
        body: {
          metadata: { name: probe },
          spec: { replicas: max + 1, selector: { matchLabels: { app: probe } }, template: { metadata: { labels: { app: probe } }, spec: { containers: [{ name: 'c', image: 'registry.example.com/probe:1' }] } } },
        },
      });
      return undefined;
    } catch (e) {
      return String((e as { body?: unknown }).body).includes(message) ? true : undefined;
    }
  });
  return message;
}
