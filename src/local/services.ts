import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Config } from '../config/schema.ts';
import type { ClusterInfo } from './clusters-json.ts';

/**
 * What local mode starts around the bot when nothing else is configured: a Redis (Debian's
 * redis-server through scripts/services/redis.sh, data and AOF under the data folder) and the
 * two local control planes (scripts/cluster/up.sh, which builds them on first use, with the
 * metrics-server and Prometheus of each, built by scripts/components/build.sh). Each is
 * stopped at the end only if this process started it, and then by its PID through the same
 * scripts; a Redis or clusters that were already running are left alone.
 *
 * The scripts run in their own process group (detached), so a Ctrl-C in the terminal reaches
 * this process only, which then stops things in order: bot first, then Redis, then clusters.
 */
export interface Say {
  (line: string): void;
}

export interface Script {
  readonly pid: number | undefined;
  readonly done: Promise<{ code: number | null; output: string }>;
  /** SIGTERM to the script's process group (the script's own traps clean up after it). */
  kill(): void;
}

export function runScript(root: string, args: readonly string[], echo: ((line: string) => void) | undefined, env: NodeJS.ProcessEnv = process.env): Script {
  const child = spawn('bash', [...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  let partial = '';
  const take = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output += text;
    if (echo === undefined) return;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) if (l.trim() !== '') echo(l);
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const done = new Promise<{ code: number | null; output: string }>((done) => {
    child.on('error', (e) => done({ code: -1, output: `${output}${e.message}` }));
    child.on('close', (code) => {
      if (echo !== undefined && partial.trim() !== '') echo(partial);
      done({ code, output });
    });
  });
  return {
    pid: child.pid,
    done,
    kill() {
      if (child.pid === undefined || child.exitCode !== null) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    },
  };
}

/** Whether the pid file names a live redis-server (what redis.sh itself checks). */
export function liveRedisPid(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(resolve(dir, 'redis.pid'), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmd.includes('redis-server') ? pid : undefined;
  } catch {
    return undefined;
  }
}

export interface LocalRedis {
  readonly url: string;
  /** Whether this process started it (and so stops it). */
  readonly ours: boolean;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export async function startLocalRedis(root: string, dir: string, track: (s: Script) => void): Promise<LocalRedis> {
  const before = liveRedisPid(dir);
  const script = runScript(root, ['scripts/services/redis.sh', 'start', dir], undefined);
  track(script);
  const r = await script.done;
  if (r.code !== 0) throw new Error(`starting Redis failed (scripts/services/redis.sh start ${dir}):\n${r.output.trim()}`);
  const url = r.output.trim().split('\n').at(-1) ?? '';
  if (!/^redis:\/\//.test(url)) throw new Error(`scripts/services/redis.sh printed no URL:\n${r.output.trim()}`);
  const pid = liveRedisPid(dir);
  const ours = before === undefined && pid !== undefined;
  return {
    url,
    ours,
    pid,
    async stop() {
      if (!ours) return;
      await runScript(root, ['scripts/services/redis.sh', 'stop', dir], undefined).done;
    },
  };
}

/** The cluster state folder scripts/cluster/lib.sh uses. */
export function clusterStateDir(root: string, env: NodeJS.ProcessEnv = process.env): string {
  const dir = env['CHATOPS_CLUSTER_DIR'];
  return dir === undefined || dir === '' ? resolve(root, '.data/cluster') : resolve(root, dir);
}

/**
 * Whether the config's clusters are the local control planes: some cluster is reached through
 * the kubeconfig that scripts/cluster/up.sh writes. A config whose clusters point elsewhere (a
 * KUBECONFIG of your own, in-cluster) needs none. Relative paths are read from `cwd`, as the
 * Kubernetes client reads them.
 */
export function usesLocalClusters(config: Config, root: string, cwd: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const isLocal = localKubeconfig(root, cwd, env);
  return Object.values(config.clusters).some((c) => c.inCluster !== true && isLocal(c.kubeconfig));
}

/** Whether a kubeconfig path (relative ones read from `cwd`) is the one up.sh writes. */
function localKubeconfig(root: string, cwd: string, env: NodeJS.ProcessEnv): (path: string | undefined) => boolean {
  const local = resolve(clusterStateDir(root, env), 'kubeconfig.yaml');
  return (p) => p !== undefined && (isAbsolute(p) ? p : resolve(cwd, p)) === local;
}

/** The clusters up.sh says it started ("ready in 21.3s (started: gz nj); …"). Pure. */
export function startedBy(upOutput: string): string[] {
  const m = /\(started: ([^)]*)\)/.exec(upOutput);
  return m?.[1]?.trim().split(/\s+/).filter((s) => s !== '') ?? [];
}

export const LOCAL_CLUSTERS = ['gz', 'nj'] as const;

export interface LocalClusters {
  /** The clusters this process started. */
  readonly started: readonly string[];
  stop(say: Say): Promise<void>;
}

export async function startLocalClusters(root: string, say: Say, track: (s: Script) => void): Promise<LocalClusters> {
  const script = runScript(root, ['scripts/cluster/up.sh'], (l) => say(`  ${l}`));
  track(script);
  const r = await script.done;
  if (r.code !== 0) throw new Error('starting the local control plane failed (scripts/cluster/up.sh); see its output above');
  const started = startedBy(r.output);
  return {
    started,
    async stop(s) {
      if (started.length === 0) return;
      // down.sh stops both, by their recorded PIDs: only when this process started both.
      if (!LOCAL_CLUSTERS.every((c) => started.includes(c))) {
        s(`leaving the local clusters running (this run started only ${started.join(', ')}); npm run cluster:down stops them`);
        return;
      }
      s('stopping the local clusters this run started');
      await runScript(root, ['scripts/cluster/down.sh'], (l) => s(`  ${l}`)).done;
    },
  };
}

/**
 * Local mode: each local cluster's own Prometheus (clusters.json, written by up.sh) for the
 * config clusters that reach it through the local kubeconfig and name no Prometheus of their
 * own, so `/scale … suggest` works without a port in the config (ports move with
 * CHATOPS_CLUSTER_PORT_OFFSET). Pure.
 */
export function withLocalPrometheus(config: Config, local: readonly ClusterInfo[], isLocalKubeconfig: (path: string | undefined) => boolean): Config {
  const clusters = Object.fromEntries(
    Object.entries(config.clusters).map(([name, c]) => {
      if (c.inCluster === true || c.prometheus !== undefined || !isLocalKubeconfig(c.kubeconfig)) return [name, c];
      const info = local.find((l) => l.botContext === c.context || l.adminContext === c.context);
      return [name, info?.prometheus === undefined ? c : { ...c, prometheus: { url: info.prometheus, labels: {} } }];
    }),
  );
  return { ...config, clusters };
}

/** withLocalPrometheus with the clusters.json and kubeconfig of the state folder. */
export function localPrometheus(config: Config, root: string, cwd: string, env: NodeJS.ProcessEnv = process.env): Config {
  let local: ClusterInfo[];
  try {
    local = JSON.parse(readFileSync(resolve(clusterStateDir(root, env), 'clusters.json'), 'utf8')) as ClusterInfo[];
  } catch {
    return config;
  }
  return withLocalPrometheus(config, local, localKubeconfig(root, cwd, env));
}
