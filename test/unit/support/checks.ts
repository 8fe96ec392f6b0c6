import { WHY } from '../../../src/core/preflight.ts';
import type { PreflightReport } from '../../../src/jobs/preflight-run.ts';
import type { TargetPreview } from '../../../src/jobs/spec.ts';

/**
 * What a request's dry runs and preflight find, as fixtures for the message and renderer tests:
 * a deploy's diff on `clusters` (the image and the change-cause annotation on each), and a
 * report with a readiness and a PDB finding.
 */
const image = (container: string) => ['spec', 'template', 'spec', 'containers', { key: 'name', value: container }, 'image'];

export function deployPreviews(clusters: readonly string[], app = 'web', extra = 0): TargetPreview[] {
  return clusters.map((cluster) => ({
    cluster,
    namespace: `${app}-prod`,
    kind: 'Deployment',
    name: app,
    changes: [
      { path: image('web'), from: 'registry.example.com/web:v1.4.1', to: 'registry.example.com/web:v1.4.2' },
      { path: ['metadata', 'annotations', 'kubernetes.io/change-cause'], from: 'chatops op-20250301-0004: deploy registry.example.com/web:v1.4.1 (by bob)', to: 'chatops op-20250304-0001: deploy registry.example.com/web:v1.4.2 (by alice)' },
      ...Array.from({ length: extra }, (_, i) => ({ path: ['spec', 'template', 'spec', 'containers', { key: 'name', value: 'web' }, 'env', { key: 'name', value: `FLAG_${i}` }, 'value'], from: 'off', to: 'on' })),
    ],
  }));
}

export function preflightReport(mode: 'warn' | 'block', where: string): PreflightReport {
  return {
    mode,
    findings: [
      { where, warning: { check: 'readiness', text: 'container web has no readinessProbe', why: WHY.readiness } },
      { where, warning: { check: 'pdb', text: 'no PodDisruptionBudget covers its 3 pods', why: WHY.pdb } },
    ],
    unread: [],
  };
}

export const JOB_LINK = { label: 'Operation', url: 'https://jobs.example.com/ops/op-20250304-0001' };
