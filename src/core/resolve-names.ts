import type { Config } from '../config/schema.ts';
import { chatError, type ChatError } from './errors.ts';
import { err, ok, type Result } from './result.ts';
import { closest } from './suggest.ts';
import { appRunsIn, targetsFor, type Target } from './targets.ts';

/**
 * The names a command uses (environment, app, cluster), checked against the config when the
 * request is made (resolve.ts). A name that doesn't exist, or isn't where the command puts it,
 * is an error with its own code and, for a typo, the close matches. Pure.
 */
type R<T> = Result<T, ChatError>;

export function checkEnv(config: Config, env: string): R<string> {
  if (Object.hasOwn(config.environments, env)) return ok(env);
  const known = Object.keys(config.environments);
  return err(chatError('E_UNKNOWN_ENV', `There is no environment "${env}".`, { expected: `one of: ${known.join(', ')}`, suggestions: closest(env, known) }));
}

export function checkApp(config: Config, app: string, env: string | undefined): R<string> {
  if (!Object.hasOwn(config.apps, app)) {
    const known = Object.keys(config.apps);
    return err(chatError('E_UNKNOWN_APP', `There is no app "${app}".`, { expected: `one of: ${known.join(', ')}`, suggestions: closest(app, known) }));
  }
  if (env !== undefined && !appRunsIn(config, app, env)) {
    return err(chatError('E_APP_NOT_IN_ENV', `${app} does not run in ${env}.`, { expected: `one of its environments: ${(config.apps[app]?.envs ?? []).join(', ')}` }));
  }
  return ok(app);
}

export function checkCluster(config: Config, env: string, cluster: string | undefined): R<string | undefined> {
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

export function workloadPlan(config: Config, appName: string, envName: string, cluster: string | undefined): R<{ env: string; app: string; targets: Target[] }> {
  const env = checkEnv(config, envName);
  if (!env.ok) return env;
  const app = checkApp(config, appName, envName);
  if (!app.ok) return app;
  const c = checkCluster(config, envName, cluster);
  if (!c.ok) return c;
  return ok({ env: envName, app: appName, targets: targetsFor(config, appName, envName, c.value) });
}
