/** Values test/integration/global-setup.ts hands to the tests through vitest's provide/inject. */
declare module 'vitest' {
  export interface ProvidedContext {
    /** Absolute path of the local clusters' kubeconfig (contexts gz, nj, gz-admin, nj-admin). */
    kubeconfig: string;
    /** Absolute path of clusters.json, written by scripts/cluster/up.sh. */
    clustersJson: string;
  }
}

export {};
