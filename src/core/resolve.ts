import type { Command } from '../../commands/index.ts';
import type { Config } from '../config/schema.ts';
import type { HpaSettings } from './autoscale.ts';
import { chatError, type ChatError } from './errors.ts';
import { parseImageRef, repositoryOf } from './image-ref.ts';
import { err, ok, type Result } from './result.ts';
import type { SuggestBasis } from './replica-formula.ts';
import { planBatches } from './resolve-batches.ts';
import { deployImage, registryAllowed, registryError } from './resolve-image.ts';
import { checkApp, checkEnv, workloadPlan } from './resolve-names.ts';
import { podBatchesOf } from './resolve-pods.ts';
import { hpaSettings, suggestBasis } from './resolve-scaling.ts';
import { appRunsIn, targetsFor, type Target } from './targets.ts';

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

function opt(reason: string | undefined): { reason?: string } {
  return reason === undefined ? {} : { reason };
}
