import type { Config } from '../config/schema.ts';

/**
 * Where an app runs: environments map to clusters, clusters to regions, and a namespace
 * pattern ("{app}-{env}") to the namespace on each cluster. Pure lookups over the config.
 */
export interface Target {
  readonly app: string;
  readonly env: string;
  readonly cluster: string;
  readonly region: string;
  readonly namespace: string;
  readonly kind: 'Deployment' | 'StatefulSet';
  readonly workload: string;
  /** The container to change; undefined means every container whose image matches. */
  readonly container: string | undefined;
}

export function namespaceFor(config: Config, env: string, app: string): string {
  const pattern = config.environments[env]?.namespace ?? '{app}-{env}';
  return pattern.replaceAll('{app}', app).replaceAll('{env}', env);
}

export function regionOf(config: Config, cluster: string): string | undefined {
  return config.clusters[cluster]?.region;
}

export function regions(config: Config): string[] {
  return [...new Set(Object.values(config.clusters).map((c) => c.region))].sort();
}

/** Whether the app is deployed to the environment (apps without `envs` run everywhere). */
export function appRunsIn(config: Config, app: string, env: string): boolean {
  const a = config.apps[app];
  return a !== undefined && (a.envs === undefined || a.envs.includes(env));
}

/** Every cluster of `env` (or just `only`), with the app's workload on each. */
export function targetsFor(config: Config, app: string, env: string, only?: string): Target[] {
  const a = config.apps[app];
  const e = config.environments[env];
  if (a === undefined || e === undefined) return [];
  return e.clusters
    .filter((c) => only === undefined || c === only)
    .map((cluster) => ({
      app,
      env,
      cluster,
      region: config.clusters[cluster]?.region ?? cluster,
      namespace: namespaceFor(config, env, app),
      kind: a.workload.kind,
      workload: a.workload.name ?? app,
      container: a.container,
    }));
}
