import type { CoreV1Event, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { HpaSettings } from '../../../src/core/autoscale.ts';
import { hpaState, metricSpecs, settingsOf } from '../../../src/kube/hpa.ts';

const settings: HpaSettings = {
  min: 2,
  max: 10,
  metrics: [
    { kind: 'utilization', resource: 'cpu', percent: 50 },
    { kind: 'average', resource: 'memory', value: '512Mi' },
    { kind: 'pods', metric: 'http_requests_per_second', value: '100' },
  ],
  scaleDownSeconds: 30,
};

function hpaOf(s: HpaSettings, status?: V2HorizontalPodAutoscaler['status']): V2HorizontalPodAutoscaler {
  return {
    metadata: { name: 'web', resourceVersion: '42' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: s.min,
      maxReplicas: s.max,
      metrics: metricSpecs(s),
      ...(s.scaleDownSeconds === undefined ? {} : { behavior: { scaleDown: { stabilizationWindowSeconds: s.scaleDownSeconds } } }),
    },
    ...(status === undefined ? {} : { status }),
  };
}

describe('HPA objects', () => {
  it('writes each target as the v2 API spells it', () => {
    expect(metricSpecs(settings)).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '512Mi' } } },
      { type: 'Pods', pods: { metric: { name: 'http_requests_per_second' }, target: { type: 'AverageValue', averageValue: '100' } } },
    ]);
  });

  it('reads back what it wrote', () => {
    expect(settingsOf(hpaOf(settings))).toEqual(settings);
  });

  it('reads an HPA made elsewhere: defaults, and metrics it does not manage', () => {
    const foreign: V2HorizontalPodAutoscaler = {
      spec: {
        scaleTargetRef: { kind: 'Deployment', name: 'web' },
        maxReplicas: 5,
        metrics: [{ type: 'External', external: { metric: { name: 'queue_depth' }, target: { type: 'Value', value: '30' } } }],
      },
    };
    expect(settingsOf(foreign)).toEqual({ min: 1, max: 5, metrics: [{ kind: 'other', text: 'External metric' }] });
  });

  it('shows the metrics against their targets and the newest scaling event', () => {
    const at = (s: string) => new Date(`2026-01-01T10:00:${s}Z`);
    const event = (reason: string, message: string, t: string): CoreV1Event => ({ metadata: {}, involvedObject: {}, reason, message, lastTimestamp: at(t) });
    const h = hpaState(
      hpaOf({ ...settings, metrics: [settings.metrics[0] ?? { kind: 'other', text: '' }] }, {
        currentReplicas: 4,
        desiredReplicas: 7,
        currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 80, averageValue: '400m' } } }],
        conditions: [{ type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound' }],
      }),
      [event('SuccessfulRescale', 'New size: 4; reason: cpu resource utilization (percentage of request) above target', '10'), event('SuccessfulRescale', 'New size: 7; reason: cpu resource utilization (percentage of request) above target', '40'), event('Unrelated', 'x', '50')],
    );
    expect(h).toMatchObject({ name: 'web', currentReplicas: 4, desiredReplicas: 7, metrics: [{ name: 'cpu', current: '80%', target: '50%' }], resourceVersion: '42' });
    expect(h.lastEvent).toEqual({ reason: 'SuccessfulRescale', message: 'New size: 7; reason: cpu resource utilization (percentage of request) above target', at: at('40') });
  });
});
