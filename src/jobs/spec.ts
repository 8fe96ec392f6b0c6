import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../core/canonical-json.ts';
import type { Json } from '../core/field-diff.ts';

/**
 * What a job does, fully bound when the request is made: every workload it touches and the
 * state it expects to find there ("from"), so that an approval covers exactly this change and
 * a replay or a late run can tell "already done" from "changed by someone else".
 */
export const workloadSchema = z.object({
  cluster: z.string(),
  region: z.string(),
  namespace: z.string(),
  kind: z.enum(['Deployment', 'StatefulSet']),
  name: z.string(),
  app: z.string(),
  env: z.string(),
  /** The container to change; absent: every container of the image's repository. */
  container: z.string().optional(),
});
export type Workload = z.infer<typeof workloadSchema>;

const deployTarget = z.object({ workload: workloadSchema, fromImage: z.string(), fromRevision: z.number().int().nonnegative() });
const scaleTarget = z.object({ workload: workloadSchema, fromReplicas: z.number().int().nonnegative() });
const rollbackTarget = z.object({
  workload: workloadSchema,
  fromRevision: z.number().int().positive(),
  toRevision: z.number().int().positive(),
  fromImage: z.string(),
  toImage: z.string(),
  /** The revisions' keys (pod-template-hash, ControllerRevision name): what their health is kept by. */
  fromKey: z.string().optional(),
  toKey: z.string().optional(),
});
const restartTarget = z.object({ workload: workloadSchema });
/** An HPA's settings (core/autoscale.ts's HpaSettings). */
const hpaMetric = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('utilization'), resource: z.enum(['cpu', 'memory']), percent: z.number().int().positive() }),
  z.object({ kind: z.literal('average'), resource: z.enum(['cpu', 'memory']), value: z.string() }),
  z.object({ kind: z.literal('pods'), metric: z.string(), value: z.string() }),
  z.object({ kind: z.literal('other'), text: z.string() }),
]);
export const hpaSettingsSchema = z.object({
  min: z.number().int().nonnegative(),
  max: z.number().int().nonnegative(),
  metrics: z.array(hpaMetric).readonly(),
  scaleDownSeconds: z.number().int().nonnegative().optional(),
});
/** The workload's HPA settings when asked (null: it had none), so a changed HPA makes the job stale. */
const autoscaleTarget = z.object({ workload: workloadSchema, from: hpaSettingsSchema.nullable() });
/**
 * A pod batch on one StatefulSet (`/deploy … pods=`): the partition the batch lowers it to, from
 * the one the batch before left (the write is conditional on it), and the ordinals it adds.
 */
export const podBatchStep = z.object({
  partition: z.number().int().nonnegative(),
  fromPartition: z.number().int().nonnegative(),
  hi: z.number().int().nonnegative(),
  lo: z.number().int().nonnegative(),
  /** The StatefulSet's first batch: its write sets the new image together with the partition. */
  setsImage: z.boolean(),
});
export type PodBatchStep = z.infer<typeof podBatchStep>;

/** One workload of a batch upgrade and the image its containers of the upgrade's repository ran when asked; `pods` in a pod-batch release. */
export const upgradeTarget = z.object({ workload: workloadSchema, fromImage: z.string(), pods: podBatchStep.optional() });
export type UpgradeTarget = z.infer<typeof upgradeTarget>;

/**
 * A promotion's source, bound when it was asked for: the environment, the digest its source
 * clusters ran (each must still run it, healthy, when the job starts) and since when.
 */
export const promotionSource = z.object({
  from: z.string(),
  digest: z.string(),
  since: z.string().optional(),
  sources: z.array(z.object({ workload: workloadSchema, image: z.string() })).min(1),
});
export type PromotionSource = z.infer<typeof promotionSource>;

export const deploySpec = z.object({
  kind: z.literal('deploy'),
  env: z.string(),
  app: z.string(),
  image: z.string(),
  autoRollback: z.boolean(),
  targets: z.array(deployTarget).min(1),
  /** Set on a /promote: the image is the source's, pinned to this digest. */
  promotion: promotionSource.optional(),
});
export const scaleSpec = z.object({ kind: z.literal('scale'), env: z.string(), app: z.string(), replicas: z.number().int().nonnegative(), targets: z.array(scaleTarget).min(1) });
export const rollbackSpec = z.object({
  kind: z.literal('rollback'),
  env: z.string(),
  app: z.string(),
  /** The target as typed ("12", "v1.4.1"); absent: the last known-good revision. */
  to: z.string().optional(),
  /** Why this rollback goes forward, not back (a deploy in disguise): policy then decides it as a deploy. */
  asDeploy: z.string().optional(),
  targets: z.array(rollbackTarget).min(1),
});
export const restartSpec = z.object({ kind: z.literal('restart'), env: z.string(), app: z.string(), token: z.string(), targets: z.array(restartTarget).min(1) });
/** `hpa` null: remove the HPA (`/autoscale … off`). */
export const autoscaleSpec = z.object({ kind: z.literal('autoscale'), env: z.string(), app: z.string(), hpa: hpaSettingsSchema.nullable(), targets: z.array(autoscaleTarget).min(1) });

/**
 * What a pod-batch release found on each StatefulSet before its first write (the strategy it
 * restores at the end or on rollback, and the revision its pods ran), and the batches as typed.
 */
export const podRelease = z.object({
  asked: z.array(z.string()).min(1),
  /** Seconds a healthy batch must stay healthy (re-checked after) before an automatic continue. */
  bake: z.number().int().positive().optional(),
  sets: z
    .array(
      z.object({
        workload: workloadSchema,
        replicas: z.number().int().positive(),
        /** The partition before the release; absent: the StatefulSet had no rollingUpdate block (restored by removing it). */
        partition: z.number().int().nonnegative().optional(),
        podManagementPolicy: z.string(),
        maxUnavailable: z.union([z.number(), z.string()]).optional(),
        /** The ControllerRevision every pod ran when asked. */
        fromRevision: z.string(),
      }),
    )
    .min(1),
});
export type PodRelease = z.infer<typeof podRelease>;

/**
 * A batch upgrade: `app` is the apps joined for display; `apps` is what policy checks. With
 * `pods`, a StatefulSet release in pod batches (`/deploy … pods=`): every batch holds each
 * cluster's StatefulSet with the partition that batch lowers it to.
 */
export const upgradeSpec = z.object({
  kind: z.literal('upgrade'),
  env: z.string(),
  app: z.string(),
  apps: z.array(z.string()).min(1),
  image: z.string(),
  gate: z.enum(['manual', 'first', 'auto']),
  concurrency: z.number().int().positive(),
  batches: z.array(z.array(upgradeTarget).min(1)).min(1),
  pods: podRelease.optional(),
});

export const jobSpec = z.discriminatedUnion('kind', [deploySpec, scaleSpec, rollbackSpec, restartSpec, upgradeSpec, autoscaleSpec]);
export type JobSpec = z.infer<typeof jobSpec>;
export type JobKind = JobSpec['kind'];
export type SpecOf<K extends JobKind> = Extract<JobSpec, { kind: K }>;

/**
 * A decision on a paused batch upgrade, carried by the job that acts on it. `n` is the
 * operation's decision counter in the ledger when the decision was accepted: only the job for
 * the newest decision may act, so a stale or repeated job does nothing.
 */
export const upgradeDecision = z.object({
  n: z.number().int().positive(),
  kind: z.enum(['continue', 'retry', 'abort']),
  rollback: z.boolean(),
  by: z.string(),
  reason: z.string().optional(),
});
export type UpgradeDecision = z.infer<typeof upgradeDecision>;

/** The request-time dry run's diff of one workload (src/jobs/preview.ts). */
const pathStep = z.union([z.string(), z.object({ key: z.string(), value: z.string() })]);
const jsonValue = z.json() as unknown as z.ZodType<Json>;
export const fieldChange = z.object({ path: z.array(pathStep), from: jsonValue.optional(), to: jsonValue.optional() });
export const targetPreview = z.object({
  cluster: z.string(),
  namespace: z.string(),
  kind: z.enum(['Deployment', 'StatefulSet']),
  name: z.string(),
  /**
   * Set when the write is to the workload's HorizontalPodAutoscaler (this name), not to the
   * workload: `/autoscale`. Its job checks the HPA against the settings seen at request time.
   */
  autoscaler: z.string().optional(),
  /** What the write changes on that workload (or its autoscaler); each field's "from" must still hold when the job runs. */
  changes: z.array(fieldChange),
});
export type TargetPreview = z.infer<typeof targetPreview>;
/** The verb policy decides a spec as: a rollback that goes forward is a deploy. */
export function policyVerbOf(spec: JobSpec): string {
  if (spec.kind === 'upgrade' && spec.pods !== undefined) return 'deploy'; // asked as /deploy … pods=
  return spec.kind === 'rollback' && spec.asDeploy !== undefined ? 'deploy' : spec.kind;
}

/** The queue payload: the bound spec plus who asked, who approved, and the ids tying it together. */
export const jobPayload = z.object({
  opId: z.string(),
  spec: jobSpec,
  requestedBy: z.string(),
  approvedBy: z.array(z.string()),
  approvalId: z.string().optional(),
  reason: z.string().optional(),
  traceId: z.string(),
  /** The span in that trace the job's span hangs under (the enqueue; before it, the request). */
  parentSpanId: z.string().optional(),
  requestedAt: z.string(),
  /** Only on the jobs that carry on a paused upgrade (continue / retry / abort). */
  decision: upgradeDecision.optional(),
  /** What the dry runs said each write changes; the approval's digest covers it, the job checks it. */
  preview: z.array(targetPreview).optional(),
  /** Set once the spec was bound again to what was live when it left the queue (it needed no approval). */
  rebound: z.boolean().optional(),
});
export type JobPayload = z.infer<typeof jobPayload>;

/** The digest an approval is bound to: the exact change, nothing about who or when. */
export function specDigest(spec: JobSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex');
}

/**
 * The digest an approval is bound to when the request was dry run: the spec's and the diff's,
 * so an approval covers exactly what the approver was shown. Without a preview, the spec's.
 */
export function approvalDigest(p: Pick<JobPayload, 'spec' | 'preview'>): string {
  if (p.preview === undefined) return specDigest(p.spec);
  return createHash('sha256').update(canonicalJson({ spec: specDigest(p.spec), preview: p.preview })).digest('hex');
}

/** Short, stable, unguessable-enough ids derived from a key (a delivery id, an approval id). */
export function idFrom(prefix: string, key: string): string {
  return `${prefix}-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}
