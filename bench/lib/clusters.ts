import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { ClusterInfo } from '../../src/local/clusters-json.ts';

/**
 * The local control planes a benchmark runs on, as scripts/cluster/up.sh describes them in
 * <state dir>/clusters.json. The state dir is CHATOPS_CLUSTER_DIR (relative: from the repo
 * root, as up.sh takes it), else .data/cluster: a second pair started with
 * `CHATOPS_CLUSTER_DIR=.data/cluster-bench CHATOPS_CLUSTER_PORT_OFFSET=2000 bash scripts/cluster/up.sh`
 * is used by pointing CHATOPS_CLUSTER_DIR at it.
 */
export type { ClusterInfo };

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

export function clusterDir(): string {
  const dir = process.env['CHATOPS_CLUSTER_DIR'];
  if (dir === undefined || dir === '') return join(REPO_ROOT, '.data', 'cluster');
  return isAbsolute(dir) ? dir : join(REPO_ROOT, dir);
}

/** Every cluster in clusters.json, or a clear error when the clusters are not up. */
export function localClusters(): ClusterInfo[] {
  const file = join(clusterDir(), 'clusters.json');
  if (!existsSync(file)) throw new Error(`no ${file}: start the local clusters first (npm run cluster:up, with the same CHATOPS_CLUSTER_DIR)`);
  return JSON.parse(readFileSync(file, 'utf8')) as ClusterInfo[];
}
