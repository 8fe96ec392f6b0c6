import { describe, expect, it } from 'vitest';
import { APPLY_SUGGESTION, changes, podValues, replicaFormula, suggestionMessage, type ClusterSuggestion, type PodRequests, type PodValue, type SuggestBasis } from '../../../src/core/replica-formula.ts';

const cpu50: SuggestBasis = { kind: 'resource', resource: 'cpu', target: { kind: 'utilization', percent: 50 } };
const v = (...values: (number | undefined)[]): PodValue[] => values.map((value, i) => ({ pod: `web-${i}`, value, shown: String(value) }));
const pods = (n: number, cpu: string | undefined = '500m'): PodRequests[] => Array.from({ length: n }, (_, i) => ({ name: `web-${i}`, containers: [{ name: 'web', cpu }] }));

describe('the replica formula: ceil(sum / target) within the limits', () => {
  it.each([
    ['the issue: four pods at 80 %, target 50 %', v(80, 80, 80, 80), 50, { min: 1, max: 20 }, { sum: 320, ceil: 7, replicas: 7 }],
    ['exactly on a whole number', v(50, 50, 50, 50), 50, { min: 1, max: 20 }, { sum: 200, ceil: 4, replicas: 4 }],
    ['floating point from rates does not round up a whole number', v(62.5000000001, 62.5, 62.5, 62.5), 50, { min: 1, max: 20 }, { ceil: 5, replicas: 5 }],
    ['almost idle pods still keep one replica', v(0.2, 0.2), 50, { min: 1, max: 20 }, { ceil: 1, replicas: 1 }],
    ['nothing used: the minimum', v(0, 0), 50, { min: 1, max: 20 }, { ceil: 0, replicas: 1, limitedBy: 'min' }],
    ['above the app\'s maxReplicas', v(400, 400, 400), 50, { min: 1, max: 20 }, { ceil: 24, replicas: 20, limitedBy: 'max' }],
    ['a pod without a sample is left out', v(80, undefined, 80), 50, { min: 1, max: 20 }, { sum: 160, ceil: 4, missing: ['web-1'] }],
  ] as const)('%s', (_, values, target, limits, want) => {
    expect(replicaFormula(values, target, limits)).toMatchObject(want);
  });

  it('gives no number when no pod has a sample, or the target is not above zero', () => {
    expect(replicaFormula(v(undefined, undefined), 50, { min: 1, max: 20 })).toBeUndefined();
    expect(replicaFormula(v(80), 0, { min: 1, max: 20 })).toBeUndefined();
  });
});

describe("each pod's value", () => {
  it('cpu=50%: use as a share of the pod\'s request, shown with both numbers', () => {
    const usage = new Map([['web-0', 0.4], ['web-1', 0.1]]);
    expect(podValues(cpu50, pods(3), usage)).toEqual({
      values: [
        { pod: 'web-0', value: 80, shown: '80% (400m of 500m)' },
        { pod: 'web-1', value: 20, shown: '20% (100m of 500m)' },
        { pod: 'web-2', value: undefined, shown: 'no sample yet' },
      ],
    });
  });

  it('sums the requests of every container', () => {
    const two: PodRequests[] = [{ name: 'web-0', containers: [{ name: 'web', cpu: '300m' }, { name: 'proxy', cpu: '200m' }] }];
    expect(podValues(cpu50, two, new Map([['web-0', 0.25]])).values[0]?.value).toBe(50);
  });

  it('a container without a request makes it a problem, not a guess (the HPA refuses too)', () => {
    const r = podValues(cpu50, [...pods(1), { name: 'web-9', containers: [{ name: 'web', cpu: '500m' }, { name: 'proxy', cpu: undefined }] }], new Map([['web-0', 0.4]]));
    expect(r.problem).toBe("pod web-9 has no cpu request on every container, so its cpu use can't be a share of it (the HPA refuses too)");
  });

  it.each([
    [{ kind: 'resource', resource: 'cpu', target: { kind: 'average', value: '250m' } } as const, 0.4, '400m'],
    [{ kind: 'resource', resource: 'memory', target: { kind: 'average', value: '512Mi' } } as const, 300 * 2 ** 20, '300Mi'],
    [{ kind: 'metric', query: 'sum by (pod) (rate(http_requests_total[1m]))', target: '100' } as const, 123.45678, '123.457'],
  ])('%j: the value itself', (basis, used, shown) => {
    expect(podValues(basis, pods(1, undefined), new Map([['web-0', used]])).values).toEqual([{ pod: 'web-0', value: used, shown }]);
  });
});

describe('the suggestion message', () => {
  const cluster = (name: string, now: number, values: PodValue[], over: Partial<ClusterSuggestion> = {}): ClusterSuggestion => ({
    cluster: name,
    now,
    values,
    formula: replicaFormula(values, 50, { min: 1, max: 20 }),
    ...over,
  });
  const view = (clusters: ClusterSuggestion[], id: string | undefined = 'sug-1') => ({ app: 'web', env: 'staging', basis: cpu50, clusters, limits: { min: 1, max: 20 }, id, requester: 'alice', source: 'Prometheus', expiresIn: '1h' });

  it('shows the numbers per cluster and offers Apply for what would change', () => {
    const m = suggestionMessage(view([cluster('gz', 4, v(80, 80, 80, 80)), cluster('nj', 4, v(80, 80, 80, 80))]));
    expect(m.title).toBe('Suggested: 7 replicas of web in staging');
    expect(m.sections?.map((s) => s.heading)).toEqual(['gz: 4 → 7 replicas', 'nj: 4 → 7 replicas']);
    expect(m.sections?.[0]?.lines.at(-1)).toBe('sum 320% ÷ target 50% = 6.4 → rounded up: 7');
    expect(m.buttons).toEqual([{ label: 'Apply: gz → 7, nj → 7', action: APPLY_SUGGESTION, value: 'sug-1', style: 'primary' }]);
  });

  it('names each cluster when they differ; a cluster already right is left out of Apply', () => {
    const m = suggestionMessage(view([cluster('gz', 7, v(80, 80, 80, 80)), cluster('nj', 4, v(40, 40, 40, 40))]));
    expect(m.title).toBe('Suggested for web in staging: gz 7, nj 4');
    expect(m.sections?.map((s) => s.heading)).toEqual(['gz: 7 replicas, no change', 'nj: 4 replicas, no change']);
    expect(m.buttons).toEqual([]);
    expect(changes([cluster('gz', 7, v(80, 80, 80, 80)), cluster('nj', 2, v(40, 40, 40, 40))])).toEqual(new Map([['nj', 4]]));
  });

  it('offers no Apply where an HPA owns the replicas, and says so', () => {
    const hpa = { name: 'web', settings: { min: 2, max: 10, metrics: [{ kind: 'utilization', resource: 'cpu', percent: 50 }] } } as const;
    const m = suggestionMessage(view([cluster('gz', 4, v(80, 80, 80, 80), { hpa })]));
    expect(m.buttons).toEqual([]);
    expect(m.sections?.[0]?.lines).toContain('HPA web owns the replicas here (min 2, max 10, cpu 50%); change it with /autoscale instead');
  });

  it('is an error with the reason when no cluster has a number', () => {
    const m = suggestionMessage(view([{ cluster: 'gz', now: 4, values: [], problem: 'cluster gz has no prometheus.url in the bot\'s config' }], undefined));
    expect(m).toMatchObject({ title: 'No suggestion for web in staging', status: 'error', buttons: [] });
    expect(m.sections?.[0]).toEqual({ heading: 'gz: no suggestion', lines: ["cluster gz has no prometheus.url in the bot's config"] });
  });
});
