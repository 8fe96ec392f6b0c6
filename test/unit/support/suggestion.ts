import type { Message } from '../../../src/core/message.ts';
import { replicaFormula, suggestionMessage, type PodValue } from '../../../src/core/replica-formula.ts';

/** A realistic suggestion (the issue's example on two clusters, one pod without a sample yet), for the renderers' golden files. */
export function sampleSuggestion(): Message {
  const pods = (names: string[], missing = ''): PodValue[] => names.map((pod) => (pod === missing ? { pod, value: undefined, shown: 'no sample yet' } : { pod, value: 80, shown: '80% (400m of 500m)' }));
  const gz = pods(['web-7d9c8b6f4-2kx8p', 'web-7d9c8b6f4-9zq4m', 'web-7d9c8b6f4-f5tjw', 'web-7d9c8b6f4-wx7rb']);
  const nj = pods(['web-5c6d7f8b9-4ndkq', 'web-5c6d7f8b9-8pl2v', 'web-5c6d7f8b9-kq9x3', 'web-5c6d7f8b9-zz1aa', 'web-5c6d7f8b9-zz1ab'], 'web-5c6d7f8b9-zz1ab');
  const limits = { min: 1, max: 20 };
  return suggestionMessage({
    app: 'web',
    env: 'staging',
    basis: { kind: 'resource', resource: 'cpu', target: { kind: 'utilization', percent: 50 } },
    clusters: [
      { cluster: 'gz', now: 4, values: gz, formula: replicaFormula(gz, 50, limits) },
      { cluster: 'nj', now: 5, values: nj, formula: replicaFormula(nj, 50, limits) },
    ],
    limits,
    id: 'sug-3f9a1c2b7d4e',
    requester: 'alice',
    source: 'Prometheus, rate over 1m, at 10:04:31 UTC',
    expiresIn: '1h',
  });
}
