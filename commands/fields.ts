import { z } from 'zod';
import { parseDuration, type Duration } from '../src/core/duration.ts';
import { digestProblem, parseImageRef, TAG } from '../src/core/image-ref.ts';
import { parseUsageTarget } from '../src/core/autoscale.ts';
import { parsePodSteps } from '../src/core/pod-batches.ts';
import { isPositiveQuantity } from '../src/core/quantity.ts';

/**
 * Argument types shared by the verbs. Each takes the text a person typed and gives a value
 * whose String() form parses back to the same value (the canonical renderer relies on it).
 * A refinement that fails carries a stable error code in `params.code`.
 */

const NAME = /^[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?$/;

/** An app, environment, cluster, region or person name as config spells it. */
export const name = z
  .string()
  .transform((s) => s.toLowerCase())
  .refine((s) => NAME.test(s), { message: 'names are lowercase letters, digits, . _ -, up to 63 characters' });

/** A list of names: "web,api,worker". */
export const nameList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim().toLowerCase()).filter((x) => x !== ''))
  .refine((xs) => xs.length > 0 && xs.every((x) => NAME.test(x) || x === '*'), { message: 'a comma-separated list of names' })
  .refine((xs) => new Set(xs).size === xs.length, { message: 'a name is listed twice' });

/** An operation, approval or alert id. */
export const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$/, { message: 'an id like op-7f3a2c' });

export const reason = z.string().trim().min(1, { message: 'the reason is empty' }).max(500, { message: 'keep the reason under 500 characters' });

export const flag = z.union([z.literal(true), z.enum(['true', 'false', 'yes', 'no'])]).transform((v) => v === true || v === 'true' || v === 'yes');

export const count = (max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, { message: 'a whole number' })
    .transform(Number)
    .refine((n) => n <= max, { message: `at most ${max}` });

export const replicas = z
  .string()
  .superRefine((s, ctx) => {
    if (!/^\d{1,9}$/.test(s)) ctx.addIssue({ code: 'custom', message: 'a replica count is a whole number from 0 up', params: { code: 'E_INVALID_ARG' } });
  })
  .transform(Number);

/**
 * What to deploy: a tag of the app's own repository ("v1.4.2"), a digest ("@sha256:…") or a
 * full reference ("registry.example.com/web:1.4.2"). Which one is decided by its shape; the
 * registry and repository are checked against config when the request is resolved.
 */
export const deployRef = z.string().superRefine((s, ctx) => {
  const problem = deployRefProblem(s);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, params: { code: 'E_INVALID_IMAGE' } });
});

export function deployRefProblem(s: string): string | undefined {
  if (s.startsWith('@')) return digestProblem(s.slice(1));
  if (!/[/:@]/.test(s)) return TAG.test(s) ? undefined : `"${s}" is not a valid tag (letters, digits, _ . -, at most 128, not starting with . or -)`;
  const r = parseImageRef(s);
  if (!r.ok) return r.problem;
  if (r.value.tag === undefined && r.value.digest === undefined) return 'a full image reference needs a :tag or an @digest';
  return undefined;
}

/** A full image reference with a repository, for upgrades across apps. */
export const fullImage = z.string().superRefine((s, ctx) => {
  const r = parseImageRef(s);
  const problem = !r.ok
    ? r.problem
    : r.value.tag === undefined && r.value.digest === undefined
      ? 'the new image needs a :tag or an @digest'
      : undefined;
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, params: { code: 'E_INVALID_IMAGE' } });
});

/**
 * A rollback target: a revision number ("12", also typed "r12", "rev12", "#12") or a tag
 * ("v1.4.1"). Normalized to "12" or the tag; resolved per cluster when the request is made.
 */
export const rollbackTarget = z
  .string()
  .transform((s) => s.replace(/^(?:rev(?:ision)?|r|#)(?=\d+$)/i, ''))
  .superRefine((s, ctx) => {
    if (/^\d+$/.test(s)) {
      if (s.length > 9 || Number(s) < 1) ctx.addIssue({ code: 'custom', message: 'revisions are numbered from 1', params: { code: 'E_BAD_REVISION' } });
    } else if (!TAG.test(s)) {
      ctx.addIssue({ code: 'custom', message: 'a revision number such as 12, or an image tag such as v1.4.1', params: { code: 'E_BAD_REVISION' } });
    }
  });

export const duration = z.string().transform((s, ctx) => {
  const d = parseDuration(s);
  if (d === undefined) {
    ctx.addIssue({ code: 'custom', message: 'a duration such as 30m, 2h or 1h30m', params: { code: 'E_BAD_DURATION' } });
    return z.NEVER;
  }
  return d;
});
export type { Duration };

/**
 * Batches of a batch upgrade, comma-separated: region or cluster names ("gz,nj,tj,hk"), app
 * groups joined with + ("web+api,worker"), or cumulative percentages ("10%,50%,100%").
 */
export const batches = z
  .string()
  .transform((s) => s.split(',').map((group) => group.split('+').map((x) => x.trim().toLowerCase()).filter((x) => x !== '')))
  .superRefine((groups, ctx) => {
    const problem = batchesProblem(groups);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, params: { code: 'E_BAD_BATCHES' } });
  });

function batchesProblem(groups: string[][]): string | undefined {
  if (groups.length === 0 || groups.some((g) => g.length === 0)) return 'a batch is empty';
  const flat = groups.flat();
  const percents = flat.filter((x) => x.endsWith('%'));
  if (percents.length === 0) {
    if (!flat.every((x) => NAME.test(x))) return 'batch members are region, cluster or app names';
    if (new Set(flat).size !== flat.length) return 'a name is in two batches';
    return undefined;
  }
  if (percents.length !== flat.length || groups.some((g) => g.length !== 1)) return "percentages can't be mixed with names";
  const values = percents.map((p) => (/^\d{1,3}%$/.test(p) ? Number(p.slice(0, -1)) : NaN));
  if (values.some((v) => !(v >= 1 && v <= 100))) return 'percentages are whole numbers from 1% to 100%';
  if (values.some((v, i) => i > 0 && v <= (values[i - 1] ?? 0))) return 'percentages are cumulative, so each must be larger than the one before';
  if (values[values.length - 1] !== 100) return 'the last batch must reach 100%';
  return undefined;
}

/**
 * Pod batches of a StatefulSet release: cumulative counts or shares ("1,50%,100%") or ordinal
 * ranges continuing downward ("#9,#8-5,#4-0"). Checked here as far as the grammar goes; against
 * each cluster's replicas when the request is bound (src/core/pod-batches.ts).
 */
export const podBatches = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x !== ''))
  .superRefine((words, ctx) => {
    const r = parsePodSteps(words);
    if (!r.ok) ctx.addIssue({ code: 'custom', message: r.problem, params: { code: 'E_BAD_BATCHES' } });
  });

/**
 * Between batches: manual (a person decides after every batch), first (a person decides after
 * the first batch, then it goes on by itself while healthy: a canary), auto (never waits).
 */
export const gate = z.enum(['manual', 'first', 'auto']);

/** The arguments every workload-changing verb ends with, and how help describes them. */
export const workloadTail = { env: name, cluster: name.optional(), reason: reason.optional(), dryrun: flag.optional() };
export const workloadTailHelp = {
  env: { expect: 'an environment such as prod' },
  cluster: { expect: 'one cluster of that environment, such as gz-prod' },
  reason: { expect: 'a reason in quotes' },
  dryrun: { expect: 'a flag: show the plan without running it' },
} as const;

/**
 * A CPU or memory target, kept as typed: a share of the pods' requests ("50%") or an amount per
 * pod ("250m", "512Mi"). core/autoscale.ts says what it means.
 */
export const usageTarget = z.string().superRefine((s, ctx) => {
  if (parseUsageTarget(s) === undefined) ctx.addIssue({ code: 'custom', message: 'a share of the request such as 50% (1% to 1000%), or an amount per pod such as 250m or 512Mi', params: { code: 'E_INVALID_ARG' } });
});

/** A target value (a number or a Kubernetes quantity such as 100, 0.5 or 2k), above zero. */
export const targetValue = z.string().superRefine((s, ctx) => {
  if (!isPositiveQuantity(s)) ctx.addIssue({ code: 'custom', message: 'a number above zero such as 100 or 0.5', params: { code: 'E_INVALID_ARG' } });
});

/** A PromQL expression, quoted when it has spaces. Only sent to Prometheus's query API (read-only). */
export const promql = z
  .string()
  .trim()
  .min(1, { message: 'the query is empty' })
  .max(1000, { message: 'keep the query under 1000 characters' })
  .refine((s) => !/[\r\n]/.test(s), { message: 'the query is one line' });

/** A metric name as the custom metrics API knows it. */
export const metricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,199}$/, { message: 'a metric name such as http_requests_per_second' });

/** A word that fills its own positional slot ("suggest", "off"), also typed as --suggest / --off. */
export const word = (w: string) => z.union([z.literal(true), z.literal(w)]).transform(() => true as const);

/** How help describes cpu= and memory=, the same for /scale … suggest and /autoscale. */
export const usageTargetHelp = {
  cpu: { expect: "a CPU target: a share of the pods' requests such as 50%, or cores per pod such as 250m" },
  memory: { expect: "a memory target: a share of the pods' requests such as 80%, or bytes per pod such as 512Mi" },
} as const;

/** metric= and target= come as a pair (cpu= and memory= carry their own target). */
export function pairMetricAndTarget(a: { metric?: string | undefined; target?: string | undefined }, ctx: z.RefinementCtx): void {
  if (a.metric !== undefined && a.target === undefined) ctx.addIssue({ code: 'custom', path: ['target'], message: 'metric= needs target=' });
  if (a.metric === undefined && a.target !== undefined) ctx.addIssue({ code: 'custom', path: ['target'], message: 'target= goes with metric=; cpu= and memory= carry their own target' });
}
