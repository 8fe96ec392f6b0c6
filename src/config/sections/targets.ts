import { z } from 'zod';
import { parseDuration, type Duration } from '../../core/duration.ts';
import { parseImageRef } from '../../core/image-ref.ts';
import { PREFLIGHT_CHECKS } from '../../core/preflight-checks.ts';
import { durationField, name } from './fields.ts';

/**
 * Where the bot acts: clusters (and the Prometheus beside each), environments (which
 * clusters, namespaces and registries) and apps (image repository, workload, probe).
 */

/** The Prometheus that holds a cluster's pod metrics, for `/scale … suggest`. */
const prometheus = z.strictObject({
  url: z.url({ protocol: /^https?$/, message: 'an http(s) URL such as http://prometheus.monitoring:9090' }),
  /** Label matchers added to every query, for a Prometheus that several clusters share: { cluster: gz }. */
  labels: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'a label name such as cluster' }), z.string().max(200)).default({}),
  bearerToken: z.string().min(1).optional(),
});

export const cluster = z.union([
  z.strictObject({
    region: name,
    kubeconfig: z.string().min(1).optional(),
    context: z.string().min(1).optional(),
    inCluster: z.literal(false).optional(),
    prometheus: prometheus.optional(),
  }),
  z.strictObject({ region: name, inCluster: z.literal(true), prometheus: prometheus.optional() }),
]);

const registryHost = z.string().regex(/^[a-zA-Z0-9.-]+(?::\d+)?(?:\/[a-z0-9._/-]+)?$/, { message: 'a registry host such as registry.example.com' });

export const environment = z.strictObject({
  clusters: z.array(z.string()).min(1, { message: 'an environment needs at least one cluster' }),
  namespace: z
    .string()
    .regex(/^[a-z0-9{}-]+$/, { message: 'a namespace or a pattern such as "{app}-{env}"' })
    .default('{app}-{env}'),
  registries: z.array(registryHost).min(1, { message: 'list the registries this environment may pull from' }),
  autoRollback: z.boolean().default(false),
  /** Whether an Approve click asks "are you sure?" first; unset means yes for prod* environments. */
  confirmApprovals: z.boolean().optional(),
  /** Preflight findings (no readinessProbe, no PDB…): shown with the approval (warn) or refusing the request (block). */
  preflight: z.enum(['warn', 'block']).default('warn'),
  /** Preflight checks not made in this environment. */
  preflightSkip: z.array(z.enum(PREFLIGHT_CHECKS)).default([]),
});

const imageRepository = z.string().superRefine((s, ctx) => {
  const r = parseImageRef(s);
  if (!r.ok) ctx.addIssue({ code: 'custom', message: r.problem });
  else if (r.value.tag !== undefined || r.value.digest !== undefined) ctx.addIssue({ code: 'custom', message: 'give the repository only, without :tag or @digest' });
});

/**
 * An app's HTTP probe: between the batches of an upgrade, and after every deploy and promotion
 * (the probe gate: every `interval` once the rollout is done, until `successes` passes in a row;
 * failed when `window` runs out first).
 */
const probe = z
  .strictObject({
    url: z.string().regex(/^https?:\/\//, { message: 'an http(s) URL template such as https://web.{region}.example.com/healthz' }),
    expectStatus: z.number().int().min(100).max(599).default(200),
    bodyMustNotContain: z.string().min(1).optional(),
    timeout: durationField.default(parseDuration('5s') as Duration),
    interval: durationField.default(parseDuration('10s') as Duration),
    successes: z.number().int().min(1).max(100).default(3),
    window: durationField.default(parseDuration('60s') as Duration),
  })
  .superRefine((p, ctx) => {
    // The last of `successes` passes in a row comes (successes - 1) intervals after the first.
    const fastest = (p.successes - 1) * p.interval.seconds;
    if (p.window.seconds < fastest) {
      ctx.addIssue({ code: 'custom', path: ['window'], message: `${p.successes} passes every ${p.interval.toString()} take at least ${fastest} s, longer than the window (${p.window.toString()}): the gate could never pass` });
    }
  });

export const app = z.strictObject({
  workload: z.strictObject({ kind: z.enum(['Deployment', 'StatefulSet']).default('Deployment'), name: name.optional() }).default({ kind: 'Deployment' }),
  container: z.string().min(1).optional(),
  image: imageRepository,
  maxReplicas: z.number().int().min(0).max(10000).default(50),
  envs: z.array(z.string()).optional(),
  probe: probe.optional(),
});
