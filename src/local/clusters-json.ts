/**
 * One local control plane as scripts/cluster/up.sh describes it in <state dir>/clusters.json;
 * the tests, the benchmarks and local mode read the same file.
 */
export interface ClusterInfo {
  readonly name: string;
  readonly region: string;
  readonly server: string;
  /** The apiserver's JSON-lines audit log (writes only; Request level for chatops-bot). */
  readonly auditLog: string;
  readonly adminContext: string;
  readonly botContext: string;
  readonly kubeconfig: string;
  /** The cluster's Prometheus (it scrapes kwok's simulated pod usage), http://127.0.0.1:<port>. */
  readonly prometheus?: string;
}
