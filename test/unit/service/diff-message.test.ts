import { describe, expect, it } from 'vitest';
import { message } from '../../../src/core/message.ts';
import type { TargetPreview } from '../../../src/jobs/spec.ts';
import { PREFLIGHT_LINES_SHOWN, diffIsCut, diffSections, preflightSections, withChecks } from '../../../src/service/diff-message.ts';
import { WHY } from '../../../src/core/preflight.ts';
import type { PreflightFinding } from '../../../src/jobs/preflight-run.ts';
import { JOB_LINK, deployPreviews, preflightReport } from '../support/checks.ts';

const unchanged: TargetPreview = { cluster: 'nj', namespace: 'web-prod', kind: 'StatefulSet', name: 'db', changes: [] };
const autoscaler: TargetPreview = {
  cluster: 'gz',
  namespace: 'web-prod',
  kind: 'Deployment',
  name: 'web',
  autoscaler: 'web-hpa',
  changes: [
    { path: ['spec', 'maxReplicas'], from: 6, to: 8 },
    { path: ['spec', 'minReplicas'], from: 2 },
  ],
};

describe('diffSections', () => {
  it.each<[string, TargetPreview[], number, string[][]]>([
    ['one section per workload, a line per change', deployPreviews(['gz']), 24, [['What changes on gz: Deployment web-prod/web', 'container web image: registry.example.com/web:v1.4.1 → registry.example.com/web:v1.4.2']]],
    ['a workload already so says it', [unchanged], 24, [['What changes on nj: StatefulSet web-prod/db', 'no change (already so)']]],
    ['an autoscaler is named as such, with the workload it scales', [autoscaler], 24, [['What changes on gz: HorizontalPodAutoscaler web-prod/web-hpa (scales Deployment web)', 'spec.maxReplicas: 6 → 8', 'spec.minReplicas: 2 → (none)']]],
    [
      'cut inside a workload: the rest counted on its last line',
      deployPreviews(['gz'], 'web', 3),
      3,
      [['What changes on gz: Deployment web-prod/web', 'container web image: registry.example.com/web:v1.4.1 → registry.example.com/web:v1.4.2', 'spec.template.spec.containers[web].env[FLAG_0].value: off → on', '… and 2 more changes: see the operation\'s page']],
    ],
    ['workloads past the cut are counted, not shown', deployPreviews(['gz', 'nj']), 2, [['What changes on gz: Deployment web-prod/web', 'container web image: registry.example.com/web:v1.4.1 → registry.example.com/web:v1.4.2', '… and 2 more changes: see the operation\'s page']]],
  ])('%s', (_name, previews, max, want) => {
    const got = diffSections(previews, max).map((s) => [s.heading ?? '', ...s.lines.map((l) => (l.startsWith('annotation') ? '' : l))].filter((l) => l !== ''));
    expect(got).toEqual(want);
  });

  it.each([
    [deployPreviews(['gz']), false],
    [deployPreviews(['gz', 'nj'], 'web', 10), false],
    [deployPreviews(['gz', 'nj'], 'web', 11), true],
  ])('diffIsCut at 24 lines (%#)', (previews, cut) => {
    expect(diffIsCut(previews)).toBe(cut);
  });
});

describe('preflightSections and withChecks', () => {
  it.each([
    ['warn', 'Preflight: 2 warnings'],
    ['block', 'Preflight: 2 findings (this environment blocks on them)'],
  ] as const)('%s: heading %s, each finding with its why', (mode, heading) => {
    const [s] = preflightSections(preflightReport(mode, 'gz Deployment web-prod/web'));
    expect(s?.heading).toBe(heading);
    expect(s?.lines[0]).toBe('gz Deployment web-prod/web: container web has no readinessProbe. Why: without it, new pods get traffic as soon as they start, before they can serve it');
  });

  it('no findings and nothing unread: no section; unread lists are said', () => {
    expect(preflightSections({ mode: 'warn', findings: [], unread: [] })).toEqual([]);
    expect(preflightSections({ mode: 'warn', findings: [], unread: ['The bot may not list poddisruptionbudgets (forbidden)'] })[0]?.lines).toEqual(['Not checked (could not read): The bot may not list poddisruptionbudgets (forbidden)']);
  });

  it.each([
    ['a short diff keeps the links as they are', deployPreviews(['gz']), []],
    ['a cut diff brings the operation link', deployPreviews(['gz', 'nj'], 'web', 30), [JOB_LINK]],
  ])('%s', (_name, previews, links) => {
    const m = withChecks(message('Deploy web', 'needs_approval'), previews, preflightReport('warn', 'gz'), JOB_LINK);
    expect(m.links).toEqual(links);
    expect(m.sections?.at(-1)?.heading).toBe('Preflight: 2 warnings');
  });
});

describe('preflightSections for a fleet', () => {
  /** `n` one-container apps without a readinessProbe, every other one also without a PDB. */
  const fleet = (n: number): PreflightFinding[] =>
    Array.from({ length: n }, (_, i) => [
      { where: `gz Deployment app-${i}/app-${i}`, warning: { check: 'readiness' as const, text: `container app-${i} has no readinessProbe`, why: WHY.readiness } },
      ...(i % 2 === 0 ? [{ where: `gz Deployment app-${i}/app-${i}`, warning: { check: 'pdb' as const, text: 'no PodDisruptionBudget covers its 2 pods', why: WHY.pdb } }] : []),
    ]).flat();

  it('up to the limit, a line per finding; one more, and a line per check', () => {
    const atLimit = fleet(8).slice(0, PREFLIGHT_LINES_SHOWN);
    expect(preflightSections({ mode: 'warn', findings: atLimit, unread: [] })[0]?.lines).toHaveLength(PREFLIGHT_LINES_SHOWN);
    const over = fleet(9);
    expect(over.length).toBeGreaterThan(PREFLIGHT_LINES_SHOWN);
    const [s] = preflightSections({ mode: 'warn', findings: over, unread: [] });
    expect(s?.heading).toBe(`Preflight: ${over.length} warnings, grouped by check`);
    expect(s?.lines).toHaveLength(2);
  });

  it('3,000 workloads: two lines, each counting its workloads and naming the first three', () => {
    const [s] = preflightSections({ mode: 'block', findings: fleet(3000), unread: ['The bot may not list resourcequotas in app-7 (forbidden)'] });
    expect(s?.heading).toBe('Preflight: 4500 findings, grouped by check (this environment blocks on them)');
    expect(s?.lines).toEqual([
      `a container without a readinessProbe: 3000 workloads (gz Deployment app-0/app-0; gz Deployment app-1/app-1; gz Deployment app-2/app-2; … and 2997 more), e.g. gz Deployment app-0/app-0: container app-0 has no readinessProbe. Why: ${WHY.readiness}`,
      `no PodDisruptionBudget: 1500 workloads (gz Deployment app-0/app-0; gz Deployment app-2/app-2; gz Deployment app-4/app-4; … and 1497 more), e.g. gz Deployment app-0/app-0: no PodDisruptionBudget covers its 2 pods. Why: ${WHY.pdb}`,
      'Not checked (could not read): The bot may not list resourcequotas in app-7 (forbidden)',
    ]);
  });

  it('a workload with two containers lacking probes counts once in its group', () => {
    const two = (i: number): PreflightFinding[] => ['web', 'sidecar'].map((c) => ({ where: `nj StatefulSet db-${i}/db`, warning: { check: 'readiness' as const, text: `container ${c} has no readinessProbe`, why: WHY.readiness } }));
    const [s] = preflightSections({ mode: 'warn', findings: [0, 1, 2, 3, 4, 5, 6].flatMap(two), unread: [] });
    expect(s?.lines[0]).toMatch(/^a container without a readinessProbe: 7 workloads \(nj StatefulSet db-0\/db; nj StatefulSet db-1\/db; nj StatefulSet db-2\/db; … and 4 more\)/);
  });
});
