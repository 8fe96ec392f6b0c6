import type { Config } from '../config/schema.ts';
import { preflight, type PreflightWarning, type WorkloadLike } from '../core/preflight.ts';
import type { PreflightCheck } from '../core/preflight-checks.ts';
import type { PreflightFacts } from '../kube/preflight-facts.ts';
import type { GatewayFor } from './bind.ts';
import { changesOf, type Previewed } from './preview.ts';
import type { JobSpec } from './spec.ts';

/**
 * Preflight of an operation, after its dry runs: each workload as the apiserver says it will
 * be (for a scale, as it is with the new replica count) is checked against its namespace's
 * PDBs, quotas and HPAs (core/preflight.ts). The environment says whether findings are shown
 * with the approval (warn) or refuse the request (block), and which checks it skips.
 */
export interface PreflightFinding {
  /** "gz Deployment web-prod/web". */
  readonly where: string;
  readonly warning: PreflightWarning;
}

export interface PreflightReport {
  readonly mode: 'warn' | 'block';
  readonly findings: readonly PreflightFinding[];
  /** Lists preflight could not read (those checks were left out), each with why. */
  readonly unread: readonly string[];
}

const isTemplate = (path: readonly unknown[]) => path[0] === 'spec' && path[1] === 'template';

/** Containers whose image the change sets (from the diff's paths). */
function imageContainers(p: Previewed): string[] {
  return changesOf(p.preview).flatMap((c) => {
    const step = c.path[4];
    return isTemplate(c.path) && c.path[3] === 'containers' && c.path[5] === 'image' && typeof step === 'object' ? [step.value] : [];
  });
}

function imagesOf(after: WorkloadLike): string[] {
  return (after.spec?.template.spec?.containers ?? []).flatMap((c) => ('image' in c && typeof c.image === 'string' ? [c.image] : []));
}

export async function preflightSpec(config: Config, spec: JobSpec, previewed: readonly Previewed[], gatewayFor: GatewayFor): Promise<PreflightReport> {
  const env = config.environments[spec.env];
  if (spec.kind === 'autoscale') return { mode: env?.preflight ?? 'warn', findings: [], unread: [] };
  const skip = new Set<PreflightCheck>(env?.preflightSkip ?? []);
  const facts = new Map<string, Promise<PreflightFacts>>();
  const factsOf = (cluster: string, namespace: string) => {
    const key = `${cluster}/${namespace}`;
    let f = facts.get(key);
    if (f === undefined) {
      f = gatewayFor(cluster).preflightFacts(namespace);
      facts.set(key, f);
    }
    return f;
  };
  const findings: PreflightFinding[] = [];
  const unread = new Set<string>();
  for (const p of previewed) {
    // Nothing sent (a rollback already there) or nothing would change: nothing to check.
    if (p.after === undefined || p.preview.changes.length === 0) continue;
    const w = p.workload;
    const ref = { namespace: w.namespace, kind: w.kind, name: w.name };
    const f = await factsOf(w.cluster, w.namespace);
    for (const u of f.unread) unread.add(u);
    let after: WorkloadLike;
    let fromReplicas: number;
    if (spec.kind === 'scale') {
      const live = (await gatewayFor(w.cluster).read(ref)).object as WorkloadLike;
      fromReplicas = live.spec?.replicas ?? 1;
      after = { spec: live.spec === undefined ? undefined : { ...live.spec, replicas: spec.replicas } };
    } else {
      // The dry run's answer: a Deployment or StatefulSet as the apiserver would store it.
      after = p.after as WorkloadLike;
      fromReplicas = after.spec?.replicas ?? 1;
    }
    const changed = spec.kind === 'deploy' || spec.kind === 'upgrade' ? imageContainers(p) : undefined;
    const warnings = preflight({
      verb: spec.kind,
      kind: w.kind,
      name: w.name,
      after,
      fromReplicas,
      rolls: changesOf(p.preview).some((c) => isTemplate(c.path)),
      changedContainers: changed,
      images: spec.kind === 'deploy' || spec.kind === 'upgrade' ? [spec.image] : spec.kind === 'rollback' ? imagesOf(after) : [],
      ...(f.pdbs === undefined ? {} : { pdbs: f.pdbs }),
      ...(f.quotas === undefined ? {} : { quotas: f.quotas }),
      ...(f.hpas === undefined ? {} : { hpas: f.hpas }),
      skip,
    });
    for (const warning of warnings) findings.push({ where: `${w.cluster} ${w.kind} ${w.namespace}/${w.name}`, warning });
  }
  return { mode: env?.preflight ?? 'warn', findings, unread: [...unread] };
}
