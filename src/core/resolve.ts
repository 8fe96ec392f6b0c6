import type { Command } from '../../commands/index.ts';
import type { Config } from '../config/schema.ts';
import { metricTarget, parseUsageTarget, type HpaMetricTarget, type HpaSettings, type UsageTarget } from './autoscale.ts';
import { chatError, type ChatError } from './errors.ts';
import { parseImageRef, repositoryOf } from './image-ref.ts';
import { err, ok, type Result } from './result.ts';
import type { SuggestBasis } from './replica-formula.ts';
import { closest } from './suggest.ts';
import { podBatchesOf } from './resolve-pods.ts';
import { appRunsIn, regions, targetsFor, type Target } from './targets.ts';

/**
 * Gives a parsed command its meaning against the config, when the request is made: which
 * app, environment, clusters and namespaces; the full image; the batches of an upgrade.
 * Names that don't exist are errors here, each with its own code and close matches.
 */
export interface Plan {
  readonly verb: Command['verb'];
  readonly env: string | undefined;
  readonly apps: readonly string[];
  /** Every workload the request changes (empty for queries and settings). */
  readonly targets: readonly Target[];
  readonly image?: string;
  readonly replicas?: number;
  /** `/scale … suggest`: what to compute the replica count from (nothing is changed). */
  readonly suggest?: SuggestBasis;
  /** `/autoscale`: the HPA wanted on each cluster, or 'off' to remove it. */
  readonly autoscale?: HpaSettings | 'off';
  /** Rollback target as typed: a revision number or a tag; undefined = the previous revision. */
  readonly rollbackTo?: string;
  readonly batches?: readonly (readonly Target[])[];
  readonly gate?: 'manual' | 'first' | 'auto';
  /** A StatefulSet release in pod batches (`pods=`), as typed; partitions are found per cluster at bind time. */
  readonly pods?: readonly string[];
  /** With pods: seconds a healthy batch must stay healthy before an automatic continue. */
  readonly bake?: number;
  readonly concurrency?: number;
  readonly reason?: string;
  readonly dryRun: boolean;
  /** A promotion: the environment whose running image goes to `env` (bound to its digest when the request is made). */
  readonly promoteFrom?: string;
}

type R<T> = Result<T, ChatError>;

function checkEnv(config: Config, env: string): R<string> {
  if (Object.hasOwn(config.environments, env)) return ok(env);
  const known = Object.keys(config.environments);
  return err(chatError('E_UNKNOWN_ENV', `There is no environment "${env}".`, { expected: `one of: ${known.join(', ')}`, suggestions: closest(env, known) }));
}

function checkApp(config: Config, app: string, env: string | undefined): R<string> {
  if (!Object.hasOwn(config.apps, app)) {
    const known = Object.keys(config.apps);
    return err(chatError('E_UNKNOWN_APP', `There is no app "${app}".`, { expected: `one of: ${known.join(', ')}`, suggestions: closest(app, known) }));
  }
  if (env !== undefined && !appRunsIn(config, app, env)) {
    return err(chatError('E_APP_NOT_IN_ENV', `${app} does not run in ${env}.`, { expected: `one of its environments: ${(config.apps[app]?.envs ?? []).join(', ')}` }));
  }
  return ok(app);
}

function checkCluster(config: Config, env: string, cluster: string | undefined): R<string | undefined> {
  if (cluster === undefined) return ok(undefined);
  if (!Object.hasOwn(config.clusters, cluster)) {
    const known = Object.keys(config.clusters);
    return err(chatError('E_UNKNOWN_CLUSTER', `There is no cluster "${cluster}".`, { expected: `one of: ${known.join(', ')}`, suggestions: closest(cluster, known) }));
  }
  const inEnv = config.environments[env]?.clusters ?? [];
  if (!inEnv.includes(cluster)) {
    return err(chatError('E_CLUSTER_NOT_IN_ENV', `Cluster ${cluster} is not part of ${env}.`, { expected: `one of ${env}'s clusters: ${inEnv.join(', ')}` }));
  }
  return ok(cluster);
}

function registryAllowed(config: Config, env: string, repository: string): boolean {
  const allowed = config.environments[env]?.registries ?? [];
  return allowed.some((r) => repository === r || repository.startsWith(`${r}/`));
}

/** Whether `image` comes from a registry the environment may pull from (a rollback to one that doesn't is a deploy in disguise). */
export function imageAllowedIn(config: Config, env: string, image: string): boolean {
  const parsed = parseImageRef(image);
  return parsed.ok && registryAllowed(config, env, repositoryOf(parsed.value));
}

function registryError(config: Config, env: string, repository: string): ChatError {
  return chatError('E_REGISTRY_NOT_ALLOWED', `${env} may not pull from ${repository}.`, {
    expected: `an image from ${(config.environments[env]?.registries ?? []).join(', ')}`,
  });
}

/**
 * The full image a deploy means. A tag or digest belongs to the app's own repository; a full
 * reference must come from a registry allowed in the environment and name the app's
 * repository path (a mirror registry with the same path is fine).
 */
export function deployImage(config: Config, app: string, env: string, ref: string): R<string> {
  const repo = config.apps[app]?.image ?? '';
  let image: string;
  let repository: string;
  if (ref.startsWith('@')) {
    image = `${repo}${ref}`;
    repository = repo;
  } else if (!/[/:@]/.test(ref)) {
    image = `${repo}:${ref}`;
    repository = repo;
  } else {
    const parsed = parseImageRef(ref);
    const own = parseImageRef(repo);
    if (!parsed.ok) return err(chatError('E_INVALID_IMAGE', `"${ref}" is not a valid image reference: ${parsed.problem}.`));
    repository = repositoryOf(parsed.value);
    if (!registryAllowed(config, env, repository)) return err(registryError(config, env, repository));
    if (own.ok && parsed.value.path !== own.value.path) {
      return err(
        chatError('E_IMAGE_REPO_MISMATCH', `${app} runs images from ${repo}, not ${repository}.`, {
          expected: `a tag of ${repo}, or the same repository path on an allowed registry`,
          example: `/deploy ${app} v1.4.2 to ${env}`,
        }),
      );
    }
    image = ref;
  }
  if (!registryAllowed(config, env, repository)) return err(registryError(config, env, repository));
  return ok(image);
}

function workloadPlan(config: Config, appName: string, envName: string, cluster: string | undefined): R<{ env: string; app: string; targets: Target[] }> {
  const env = checkEnv(config, envName);
  if (!env.ok) return env;
  const app = checkApp(config, appName, envName);
  if (!app.ok) return app;
  const c = checkCluster(config, envName, cluster);
  if (!c.ok) return c;
  return ok({ env: envName, app: appName, targets: targetsFor(config, appName, envName, c.value) });
}

/** Orders workloads the same way every time: region, cluster, app. */
function byPlace(a: Target, b: Target): number {
  return a.region.localeCompare(b.region) || a.cluster.localeCompare(b.cluster) || a.app.localeCompare(b.app);
}

export function planBatches(config: Config, targets: readonly Target[], groups: readonly (readonly string[])[]): R<Target[][]> {
  const sorted = [...targets].sort(byPlace);
  if (groups.every((g) => g.length === 1 && (g[0] ?? '').endsWith('%'))) {
    // Cumulative shares of the selected workloads, rounded up; a share that adds nobody is skipped.
    const out: Target[][] = [];
    let from = 0;
    for (const g of groups) {
      const to = Math.ceil((Number((g[0] ?? '0%').slice(0, -1)) * sorted.length) / 100);
      if (to > from) out.push(sorted.slice(from, to));
      from = Math.max(from, to);
    }
    return ok(out);
  }
  const names = new Set([...regions(config), ...Object.keys(config.clusters), ...targets.map((t) => t.app)]);
  const placed = new Map<Target, number>();
  const out: Target[][] = [];
  for (const [i, g] of groups.entries()) {
    for (const n of g) {
      if (!names.has(n)) {
        return err(chatError('E_UNKNOWN_BATCH', `Batch ${i + 1} names "${n}", which is no region, cluster or selected app.`, { suggestions: closest(n, [...names]) }));
      }
    }
    const batch = sorted.filter((t) => g.includes(t.region) || g.includes(t.cluster) || g.includes(t.app));
    if (batch.length === 0) return err(chatError('E_EMPTY_BATCH', `Batch ${i + 1} (${g.join('+')}) contains none of the selected workloads.`));
    for (const t of batch) {
      const before = placed.get(t);
      if (before !== undefined) {
        return err(chatError('E_BAD_BATCHES', `${t.app} on ${t.cluster} is in batch ${before + 1} and in batch ${i + 1}.`));
      }
      placed.set(t, i);
    }
    out.push(batch);
  }
  const left = sorted.filter((t) => !placed.has(t));
  if (left.length > 0) {
    return err(
      chatError('E_UNBATCHED', `${left.map((t) => `${t.app} on ${t.cluster}`).join(', ')} ${left.length === 1 ? 'is' : 'are'} in no batch.`, {
        expected: 'batches that together cover every cluster of the environment',
      }),
    );
  }
  return ok(out);
}

export function resolve(config: Config, command: Command): R<Plan> {
  const base = { targets: [] as Target[], dryRun: false };
  switch (command.verb) {
    case 'deploy': {
      const a = command.args;
      const w = workloadPlan(config, a.app, a.env, a.cluster);
      if (!w.ok) return w;
      const image = deployImage(config, a.app, a.env, a.ref);
      if (!image.ok) return image;
      const pods = podBatchesOf(a.app, a.env, a.pods, a.gate, a.bake?.seconds, w.value.targets);
      if (!pods.ok) return pods;
      return ok({ verb: 'deploy', env: a.env, apps: [a.app], targets: w.value.targets, image: image.value, ...pods.value, ...opt(a.reason), dryRun: a.dryrun === true });
    }
    case 'promote': {
      const a = command.args;
      const w = workloadPlan(config, a.app, a.env, a.cluster);
      if (!w.ok) return w;
      const from = checkEnv(config, a.from);
      if (!from.ok) return from;
      const app = checkApp(config, a.app, a.from);
      if (!app.ok) return app;
      if (a.from === a.env) return err(chatError('E_BAD_PROMOTION', `${a.app} can't be promoted from ${a.env} to itself.`, { example: `/promote ${a.app} from staging to prod` }));
      return ok({ verb: 'promote', env: a.env, apps: [a.app], targets: w.value.targets, promoteFrom: a.from, ...opt(a.reason), dryRun: a.dryrun === true });
    }
    case 'scale': {
      const a = command.args;
      const w = workloadPlan(config, a.app, a.env, a.cluster);
      if (!w.ok) return w;
      if (a.suggest === true) {
        const suggest = suggestBasis(a);
        if (suggest === undefined) return err(chatError('E_INVALID_ARG', 'suggest needs one of cpu=50%, memory=80% or metric="<PromQL>" target=<value>.'));
        return ok({ verb: 'scale', env: a.env, apps: [a.app], targets: w.value.targets, suggest, ...opt(a.reason), dryRun: false });
      }
      const max = config.apps[a.app]?.maxReplicas ?? 0;
      if (a.replicas === undefined) return err(chatError('E_MISSING_ARG', '`scale` needs a replica count such as 5.', { example: `/scale ${a.app} 5 in ${a.env}` }));
      if (a.replicas > max) {
        return err(chatError('E_REPLICAS_RANGE', `${a.app} may run 0 to ${max} replicas; ${a.replicas} is outside that.`, { expected: `a count from 0 to ${max}` }));
      }
      return ok({ verb: 'scale', env: a.env, apps: [a.app], targets: w.value.targets, replicas: a.replicas, ...opt(a.reason), dryRun: a.dryrun === true });
    }
    case 'autoscale': {
      const a = command.args;
      const w = workloadPlan(config, a.app, a.env, a.cluster);
      if (!w.ok) return w;
      const base = { verb: 'autoscale' as const, env: a.env, apps: [a.app], targets: w.value.targets, ...opt(a.reason), dryRun: a.dryrun === true };
      if (a.off === true) return ok({ ...base, autoscale: 'off' });
      const settings = hpaSettings(a);
      const max = config.apps[a.app]?.maxReplicas ?? 0;
      if (settings === undefined) return err(chatError('E_INVALID_ARG', 'An autoscaler needs min=, max= and a target: cpu=50%, memory=80% or metric=<name> target=<value>.'));
      if (settings.max > max) {
        return err(chatError('E_REPLICAS_RANGE', `${a.app} may run at most ${max} replicas; max=${settings.max} is above that.`, { expected: `max from ${settings.min} to ${max}` }));
      }
      return ok({ ...base, autoscale: settings });
    }
    case 'rollback': {
      const a = command.args;
      const w = workloadPlan(config, a.app, a.env, a.cluster);
      if (!w.ok) return w;
      return ok({
        verb: 'rollback',
        env: a.env,
        apps: [a.app],
        targets: w.value.targets,
        ...(a.target === undefined ? {} : { rollbackTo: a.target }),
        ...opt(a.reason),
        dryRun: a.dryrun === true,
      });
    }
    case 'restart': {
      const a = command.args;
      const w = workloadPlan(config, a.app, a.env, a.cluster);
      if (!w.ok) return w;
      return ok({ verb: 'restart', env: a.env, apps: [a.app], targets: w.value.targets, ...opt(a.reason), dryRun: a.dryrun === true });
    }
    case 'upgrade': {
      const a = command.args;
      const env = checkEnv(config, a.env);
      if (!env.ok) return env;
      const apps = a.apps.includes('*') ? Object.keys(config.apps).filter((x) => appRunsIn(config, x, a.env)) : a.apps;
      for (const app of apps) {
        const c = checkApp(config, app, a.env);
        if (!c.ok) return c;
      }
      const parsed = parseImageRef(a.image);
      if (parsed.ok && !registryAllowed(config, a.env, repositoryOf(parsed.value))) return err(registryError(config, a.env, repositoryOf(parsed.value)));
      const targets = apps.flatMap((app) => targetsFor(config, app, a.env));
      const batches = planBatches(config, targets, a.batches);
      if (!batches.ok) return batches;
      return ok({
        verb: 'upgrade',
        env: a.env,
        apps,
        targets: batches.value.flat(),
        image: a.image,
        batches: batches.value,
        gate: a.gate,
        ...(a.concurrency === undefined ? {} : { concurrency: a.concurrency }),
        ...opt(a.reason),
        dryRun: a.dryrun === true,
      });
    }
    case 'status':
    case 'history':
    case 'audit':
    case 'revisions':
    case 'diagnose':
    case 'jobs':
    case 'subscribe':
    case 'unsubscribe': {
      const a = command.args as { app?: string; apps?: string[]; env?: string };
      if (a.env !== undefined) {
        const e = checkEnv(config, a.env);
        if (!e.ok) return e;
      }
      const apps = a.apps ?? (a.app === undefined ? [] : [a.app]);
      for (const app of apps) {
        const c = checkApp(config, app, a.env);
        if (!c.ok) return c;
      }
      return ok({ ...base, verb: command.verb, env: a.env, apps });
    }
    case 'lock':
    case 'unlock': {
      const a = command.args;
      if (a.env === undefined) {
        if (Object.hasOwn(config.apps, a.target) && !Object.hasOwn(config.environments, a.target)) {
          return err(chatError('E_NEEDS_ENV', `Say which environment to ${command.verb} ${a.target} in.`, { example: `/${command.verb} ${a.target} in prod` }));
        }
        const e = checkEnv(config, a.target);
        if (!e.ok) return e;
        return ok({ ...base, verb: command.verb, env: a.target, apps: [] });
      }
      const e = checkEnv(config, a.env);
      if (!e.ok) return e;
      const c = checkApp(config, a.target, a.env);
      if (!c.ok) return c;
      return ok({ ...base, verb: command.verb, env: a.env, apps: [a.target] });
    }
    case 'freeze': {
      const e = checkEnv(config, command.args.env);
      if (!e.ok) return e;
      return ok({ ...base, verb: 'freeze', env: command.args.env, apps: [] });
    }
    case 'silence': {
      const a = command.args;
      if (a.env !== undefined) {
        const e = checkEnv(config, a.env);
        if (!e.ok) return e;
      }
      return ok({ ...base, verb: 'silence', env: a.env, apps: a.app === undefined ? [] : [a.app] });
    }
    default:
      return ok({ ...base, verb: command.verb, env: undefined, apps: [] });
  }
}

interface TargetArgs {
  cpu?: string | undefined;
  memory?: string | undefined;
  metric?: string | undefined;
  target?: string | undefined;
}

/** The cpu= and memory= targets given, in that order. */
function usageTargets(a: TargetArgs): { resource: 'cpu' | 'memory'; target: UsageTarget }[] {
  return (['cpu', 'memory'] as const).flatMap((resource) => {
    const t = a[resource] === undefined ? undefined : parseUsageTarget(a[resource]);
    return t === undefined ? [] : [{ resource, target: t }];
  });
}

function suggestBasis(a: TargetArgs): SuggestBasis | undefined {
  const [usage] = usageTargets(a);
  if (usage !== undefined) return { kind: 'resource', ...usage };
  return a.metric !== undefined && a.target !== undefined ? { kind: 'metric', query: a.metric, target: a.target } : undefined;
}

function hpaSettings(a: TargetArgs & { min?: number | undefined; max?: number | undefined; scaledown?: { seconds: number } | undefined }): HpaSettings | undefined {
  const metrics: HpaMetricTarget[] = usageTargets(a).map((u) => metricTarget(u.resource, u.target));
  if (a.metric !== undefined && a.target !== undefined) metrics.push({ kind: 'pods', metric: a.metric, value: a.target });
  if (a.min === undefined || a.max === undefined || metrics.length === 0) return undefined;
  return { min: a.min, max: a.max, metrics, ...(a.scaledown === undefined ? {} : { scaleDownSeconds: a.scaledown.seconds }) };
}

function opt(reason: string | undefined): { reason?: string } {
  return reason === undefined ? {} : { reason };
}
