import { describeTarget, refOf, type JobContext } from './context.ts';
import { runProbeGate, sampleText, type ProbeSample } from './probe-gate.ts';
import type { Workload } from './spec.ts';

/**
 * The probe gate of one workload after its deploy rolled out, as a job step: each probe result
 * goes to the live message (a progress event) and the audit log as it comes, and the verdict
 * is recorded as one audit step (detail `probeVerdict`), which is what tells a revision whose
 * probe passed from one whose probe failed.
 */
export interface ProbeVerdict {
  readonly passed: boolean;
  readonly url: string;
  /** The image the workload runs, and its revision (Deployments) when the verdict was reached. */
  readonly image: string;
  readonly revision: number | undefined;
  readonly samples: readonly ProbeSample[];
  /** A sentence for chat, with every result. */
  readonly summary: string;
}

/** The verdict on `w`, now running `image` after a completed rollout; undefined when its app has no probe. */
export async function probeVerdict(ctx: JobContext, w: Workload, image: string): Promise<ProbeVerdict | undefined> {
  const probe = ctx.config.apps[w.app]?.probe;
  if (probe === undefined) return undefined;
  const where = describeTarget(w);
  const gate = await runProbeGate(
    probe,
    { region: w.region, cluster: w.cluster, app: w.app, env: w.env },
    {
      fetch: ctx.fetch,
      signal: ctx.signal,
      now: () => ctx.clock().getTime(),
      onSample: async (s, url) => {
        const line = `probe ${s.n}: ${sampleText(s)}${s.problem === undefined ? '' : ` (${s.problem})`}`;
        await ctx.progress({ step: 'probe', cluster: w.cluster, workload: w.name, percent: 100, message: line });
        await ctx.audit('step', `${line} for ${where}`, { probe: { url, n: s.n, at: s.at.toISOString(), ok: s.ok, status: s.status ?? null, problem: s.problem ?? null } }, w);
      },
    },
  );
  const revision = (await ctx.gatewayFor(w.cluster).status(refOf(w))).revision;
  const verdict: ProbeVerdict = { passed: gate.passed, url: gate.url, image, revision, samples: gate.samples, summary: gate.summary };
  await ctx.audit(
    'step',
    `${gate.passed ? 'probe passed' : 'probe failed'} for ${where} on ${image}`,
    { probeVerdict: { passed: verdict.passed, url: verdict.url, image, revision: revision ?? null, probes: gate.samples.length } },
    w,
  );
  return verdict;
}
