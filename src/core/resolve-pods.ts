import { chatError, type ChatError } from './errors.ts';
import { err, ok, type Result } from './result.ts';
import type { Target } from './targets.ts';

/** Resolving `pods=`, `gate=` and `bake=` on a deploy (resolve.ts): what the plan of a pod-batch release carries. Pure. */
type Gate = 'manual' | 'first' | 'auto';
type R<T> = Result<T, ChatError>;

/** `pods=` (and its `gate=`) on a deploy: StatefulSets only; a Deployment is pointed at what does batches for it. */
export function podBatchesOf(
  app: string,
  env: string,
  pods: readonly string[] | undefined,
  gate: Gate | undefined,
  bake: number | undefined,
  targets: readonly Target[],
): R<{ pods?: readonly string[]; gate?: Gate; bake?: number }> {
  if (pods === undefined) {
    if (gate === undefined && bake === undefined) return ok({});
    const what = gate === undefined ? 'bake= waits between pod batches' : `gate=${gate} decides between pod batches`;
    return err(chatError('E_GATE_WITHOUT_BATCHES', `${what}, and this deploy has none.`, { expected: 'gate= and bake= together with pods=', example: `/deploy ${app} v2 to ${env} pods=1,50%,100% gate=auto bake=5m` }));
  }
  const deployment = targets.find((t) => t.kind !== 'StatefulSet');
  if (deployment !== undefined) {
    return err(
      chatError('E_PODS_NOT_STATEFULSET', `${app} is a ${deployment.kind}; pods= batches the pods of a StatefulSet through its rolling-update partition, which a ${deployment.kind} doesn't have.`, {
        expected: `for a ${deployment.kind}, batches of whole workloads (/upgrade <image> apps=${app} env=${env} batches=10%,50%,100%) or a plain /deploy`,
      }),
    );
  }
  return ok({ pods, gate: gate ?? 'manual', ...(bake === undefined ? {} : { bake }) });
}
