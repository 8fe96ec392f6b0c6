import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { ClusterInfo } from '../../src/local/clusters-json.ts';

/**
 * The local control planes a benchmark runs on, as scripts/cluster/up.sh describes them in
 * <state dir>/clusters.json. By default the benchmarks' own pair: state in .data/cluster-bench,
 * ports shifted by 2000 (so the tests' pair, the lead's and `npm start`'s are left alone),
 * started here when it isn't up (up.sh is idempotent: a healthy pair is left as it is) and left
 * running afterwards (`CHATOPS_CLUSTER_DIR=.data/cluster-bench CHATOPS_CLUSTER_PORT_OFFSET=2000
 * npm run cluster:down` stops it). CHATOPS_CLUSTER_DIR (relative: from the repo root) points at
 * another pair that is already up instead.
 */
export type { ClusterInfo };

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const BENCH_CLUSTER_DIR = '.data/cluster-bench';
export const BENCH_PORT_OFFSET = 2000;

export function clusterDir(): string {
  const dir = process.env['CHATOPS_CLUSTER_DIR'];
  if (dir === undefined || dir === '') return join(REPO_ROOT, BENCH_CLUSTER_DIR);
  return isAbsolute(dir) ? dir : join(REPO_ROOT, dir);
}

let started = false;

/** Every cluster in clusters.json, starting the benchmarks' pair first when it is the one used. */
export function localClusters(): ClusterInfo[] {
  const own = process.env['CHATOPS_CLUSTER_DIR'] === undefined || process.env['CHATOPS_CLUSTER_DIR'] === '';
  if (own && !started) {
    process.stderr.write(`  clusters: the benchmarks' pair in ${BENCH_CLUSTER_DIR} (port offset ${BENCH_PORT_OFFSET}), started if it is not up…\n`);
    execFileSync('bash', [join(REPO_ROOT, 'scripts/cluster/up.sh')], {
      cwd: REPO_ROOT,
      env: { ...process.env, CHATOPS_CLUSTER_DIR: BENCH_CLUSTER_DIR, CHATOPS_CLUSTER_PORT_OFFSET: String(BENCH_PORT_OFFSET) },
      stdio: ['ignore', process.stderr, process.stderr],
    });
    started = true;
  }
  const file = join(clusterDir(), 'clusters.json');
  if (!existsSync(file)) throw new Error(`no ${file}: start the local clusters first (npm run cluster:up, with the same CHATOPS_CLUSTER_DIR)`);
  return JSON.parse(readFileSync(file, 'utf8')) as ClusterInfo[];
}

/** The kubeconfig of the pair, for a bot process started with the embedded config (CHATOPS_KUBECONFIG). */
export function kubeconfigPath(): string {
  return join(clusterDir(), 'kubeconfig.yaml');
}
