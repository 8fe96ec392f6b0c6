import { AdmissionregistrationV1Api, type V1NamedRuleWithOperations } from '@kubernetes/client-node';
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
  const message = `${REPLICA_CAP_MESSAGE} ${max} in ${namespace}`;
  const admin = adminClients(clusterName);
  return installPolicy(clusterName, namespace, {
    name: uniqueName('cap-replicas'),
    rule: { apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments', 'statefulsets', 'deployments/scale', 'statefulsets/scale'] },
    expression: `!has(object.spec.replicas) || object.spec.replicas <= ${max}`,
    message,
    probe: async (probe) => {
      await admin.apps.createNamespacedDeployment({
        namespace,
        dryRun: 'All',
        body: {
          metadata: { name: probe },
          spec: { replicas: max + 1, selector: { matchLabels: { app: probe } }, template: { metadata: { labels: { app: probe } }, spec: { containers: [{ name: 'c', image: 'registry.example.com/probe:1' }] } } },
        },
      });
    },
  });
}

/** The same for HorizontalPodAutoscalers: maxReplicas may not be over `max` in `namespace`. */
export async function capAutoscalers(clusterName: string, namespace: string, max: number): Promise<string> {
  const message = `autoscalers are capped at ${max} replicas in ${namespace}`;
  const admin = adminClients(clusterName);
  return installPolicy(clusterName, namespace, {
    name: uniqueName('cap-hpa'),
    rule: { apiGroups: ['autoscaling'], apiVersions: ['v2'], operations: ['CREATE', 'UPDATE'], resources: ['horizontalpodautoscalers'] },
    expression: `object.spec.maxReplicas <= ${max}`,
    message,
    probe: async (probe) => {
      await admin.autoscaling.createNamespacedHorizontalPodAutoscaler({
        namespace,
        dryRun: 'All',
        body: { metadata: { name: probe }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: probe }, minReplicas: 1, maxReplicas: max + 1 } },
      });
    },
  });
}

interface PolicySpec {
  readonly name: string;
  readonly rule: V1NamedRuleWithOperations;
  readonly expression: string;
  readonly message: string;
  /** An admin dry run the policy must refuse; it throws once the policy is enforced. */
  readonly probe: (name: string) => Promise<void>;
}

async function installPolicy(clusterName: string, namespace: string, p: PolicySpec): Promise<string> {
  const api = adminClients(clusterName).kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const { name, message } = p;
  await kubeCall({ cluster: clusterName, verb: 'create', resource: 'validatingadmissionpolicies', name }, () =>
    api.createValidatingAdmissionPolicy({
      body: { metadata: { name }, spec: { failurePolicy: 'Fail', matchConstraints: { resourceRules: [p.rule] }, validations: [{ expression: p.expression, message }] } },
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
    try {
      await p.probe(uniqueName('cap-probe'));
      return undefined;
    } catch (e) {
      return String((e as { body?: unknown }).body).includes(message) ? true : undefined;
    }
  });
  return message;
}
