import { describe, expect, it } from 'vitest';
import { autoscaleLine, describeHpaSettings, parseUsageTarget, sameHpaSettings, type HpaSettings } from '../../../src/core/autoscale.ts';

const base: HpaSettings = { min: 2, max: 10, metrics: [{ kind: 'utilization', resource: 'cpu', percent: 50 }] };

describe('HPA settings', () => {
  it.each([
    ['50%', { kind: 'utilization', percent: 50 }],
    ['1000%', { kind: 'utilization', percent: 1000 }],
    ['250m', { kind: 'average', value: '250m' }],
    ['512Mi', { kind: 'average', value: '512Mi' }],
    ['0%', undefined],
    ['1001%', undefined],
    ['50.5%', undefined],
    ['0', undefined],
    ['-1', undefined],
    ['lots', undefined],
  ])('target %s', (s, want) => {
    expect(parseUsageTarget(s)).toEqual(want);
  });

  it.each([
    ['the same', base, true],
    ['the default window written out', { ...base, scaleDownSeconds: 300 }, true],
    ['another window', { ...base, scaleDownSeconds: 30 }, false],
    ['another max', { ...base, max: 11 }, false],
    ['another target', { ...base, metrics: [{ kind: 'utilization', resource: 'cpu', percent: 60 }] }, false],
    ['a second metric', { ...base, metrics: [...base.metrics, { kind: 'average', resource: 'memory', value: '512Mi' }] }, false],
  ] as const)('%s: same = %s', (_, other, same) => {
    expect(sameHpaSettings(base, other)).toBe(same);
  });

  it('ignores the order of the metrics', () => {
    const a: HpaSettings = { ...base, metrics: [{ kind: 'utilization', resource: 'cpu', percent: 50 }, { kind: 'pods', metric: 'rps', value: '100' }] };
    expect(sameHpaSettings(a, { ...a, metrics: [...a.metrics].reverse() })).toBe(true);
  });

  it('describes them and gives the line that asks for them', () => {
    const s: HpaSettings = { min: 2, max: 10, metrics: [{ kind: 'utilization', resource: 'cpu', percent: 50 }, { kind: 'average', resource: 'memory', value: '512Mi' }, { kind: 'pods', metric: 'rps', value: '100' }], scaleDownSeconds: 30 };
    expect(describeHpaSettings(s)).toBe('min 2, max 10, cpu 50%, memory 512Mi per pod, rps 100 per pod, scale-down window 30s');
    expect(autoscaleLine('web', 'staging', s)).toBe('/autoscale web in staging min=2 max=10 cpu=50% memory=512Mi metric=rps target=100 scaledown=30s');
  });
});
