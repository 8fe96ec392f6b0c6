import type { Command } from '../../commands/index.ts';
import { message, type Message } from '../core/message.ts';
import type { Plan } from '../core/resolve.ts';
import { targetsFor, type Target } from '../core/targets.ts';
import { KubeError } from '../kube/errors.ts';
import { ageOf, describeVerdict, verdictOf } from '../kube/revision-health.ts';
import type { OpRecord } from '../jobs/operations.ts';
import type { Services } from './services.ts';
import { hpaLines } from '../scaling/hpa-lines.ts';

/**
 * Queries and settings that policy allowed: they read or change the bot's own state (locks,
 * freezes, operations, the audit log) or read the clusters. Nothing here changes a workload.
 * The alert verbs (subscribe, silence, ack, …) are answered in src/alerts/answers.ts; the
 * dispatcher (src/service/dispatch.ts) sends each verb to its answer.
 */
const refOf = (t: Target) => ({ namespace: t.namespace, name: t.workload, kind: t.kind });

function opLine(r: OpRecord): string {
  return `${r.id} ${r.kind} ${r.app} in ${r.env}: ${r.status} (by ${r.requestedBy}, ${r.createdAt.slice(0, 16).replace('T', ' ')}) ${r.summary}`;
}

function workloadsOf(s: Services, plan: Plan, cluster?: string): Target[] {
  const env = plan.env;
  const envs = env === undefined ? Object.keys(s.config.environments) : [env];
  const apps = plan.apps.length > 0 ? plan.apps : Object.keys(s.config.apps);
  return envs.flatMap((e) => apps.flatMap((a) => targetsFor(s.config, a, e, cluster)));
}

/** Reads one thing per workload; a cluster that can't be reached is said so, not fatal. */
async function perWorkload(s: Services, targets: readonly Target[], read: (t: Target) => Promise<string[]>): Promise<string[]> {
  const lines = await Promise.all(
    targets.map(async (t) => {
      try {
        return (await read(t)).map((l) => `${t.app}@${t.cluster} ${l}`);
      } catch (e) {
        return [`${t.app}@${t.cluster}: ${e instanceof KubeError ? e.message : 'could not be read'}`];
      }
    }),
  );
  return lines.flat();
}

/** The HPA, or the Kubernetes error that kept it from being read (anything else still throws). */
async function hpaOrError<T>(read: Promise<T>): Promise<T | KubeError> {
  try {
    return await read;
  } catch (e) {
    if (e instanceof KubeError) return e;
    throw e;
  }
}

export async function answer(s: Services, command: Command, plan: Plan, actor: string): Promise<Message | undefined> {
  const now = s.clock();
  const args = command.args as { cluster?: string; limit?: number; reason?: string; for?: { seconds: number }; state?: string; by?: string; op?: string };
  switch (command.verb) {
    case 'lock': {
      const max = s.config.locks.maxTtl.seconds;
      const ttl = Math.min(args.for?.seconds ?? s.config.locks.defaultTtl.seconds, max);
      const r = await s.locks.lock({ env: plan.env ?? '', app: plan.apps[0], holder: actor, reason: args.reason, ttlSeconds: ttl, now });
      const what = plan.apps[0] === undefined ? plan.env : `${plan.apps[0]} in ${plan.env}`;
      if (r.kind === 'held') return message('Already locked', 'denied', { text: `${what} is locked by ${r.lock.holder}${r.lock.reason === undefined ? '' : ` (${r.lock.reason})`} until ${r.lock.expiresAt.toISOString()}.` });
      await s.audit.append({ at: now, kind: 'setting', actor, env: plan.env, app: plan.apps[0], summary: `${actor} locked ${what ?? ''}`, detail: { until: r.lock.expiresAt.toISOString(), reason: args.reason } });
      return message(`Locked ${what ?? ''}`, 'succeeded', { text: `Only ${actor} may change it until ${r.lock.expiresAt.toISOString()} (rollback stays open to everyone allowed). /unlock when done.` });
    }
    case 'unlock': {
      const r = await s.locks.unlock({ env: plan.env ?? '', app: plan.apps[0], by: actor, now });
      if (r.kind === 'not_locked') return message('Not locked', 'info', { text: 'There was no lock to remove.' });
      if (r.kind === 'not_holder') return message('Not your lock', 'denied', { text: `${r.lock.holder} holds this lock; ask them to unlock it.` });
      await s.audit.append({ at: now, kind: 'setting', actor, env: plan.env, app: plan.apps[0], summary: `${actor} unlocked ${plan.apps[0] ?? plan.env ?? ''}`, detail: {} });
      return message('Unlocked', 'succeeded', { text: `Removed ${r.lock.holder}'s lock.` });
    }
    case 'freeze': {
      const until = new Date(now.getTime() + (args.for?.seconds ?? 0) * 1000);
      const r = await s.freezes.freeze({ env: plan.env ?? '', by: actor, reason: args.reason ?? '', until, now });
      if (r.kind === 'already_frozen') return message('Already frozen', 'info', { text: `${plan.env ?? ''} is frozen by ${r.freeze.by} until ${r.freeze.until.toISOString()}.` });
      await s.audit.append({ at: now, kind: 'setting', actor, env: plan.env, summary: `${actor} froze ${plan.env ?? ''}`, detail: { until: until.toISOString(), reason: args.reason } });
      return message(`Froze ${plan.env ?? ''}`, 'succeeded', { text: `No deploys, scaling, restarts or upgrades until ${until.toISOString()}; rollback stays allowed.` });
    }
    case 'jobs': {
      const open = new Set(args.state === 'all' ? ['awaiting_approval', 'queued', 'running', 'paused'] : args.state === 'waiting' ? ['awaiting_approval', 'queued'] : args.state === 'paused' ? ['paused'] : args.state === 'running' ? ['running'] : ['awaiting_approval', 'queued', 'running', 'paused']);
      const ops = await s.ops.list(50, (r) => open.has(r.status) && (plan.env === undefined || r.env === plan.env));
      return message('Operations in progress', 'info', { sections: [{ lines: ops.length > 0 ? ops.map(opLine) : ['none'] }] });
    }
    case 'history': {
      const ops = await s.ops.list(args.limit ?? 20, (r) => (plan.env === undefined || r.env === plan.env) && (plan.apps.length === 0 || plan.apps.includes(r.app)));
      return message('History', 'info', { sections: [{ lines: ops.length > 0 ? ops.map(opLine) : ['no operations yet'] }] });
    }
    case 'audit': {
      const q = { limit: args.limit ?? 20, ...(plan.env === undefined ? {} : { env: plan.env }), ...(plan.apps[0] === undefined ? {} : { app: plan.apps[0] }), ...(args.by === undefined ? {} : { by: args.by }), ...(args.op === undefined ? {} : { opId: args.op }) };
      const rows = await s.audit.query(q);
      return message('Audit trail', 'info', { sections: [{ lines: rows.length > 0 ? rows.map((r) => `${r.at.toISOString().slice(0, 19).replace('T', ' ')} ${r.kind} ${r.actor}: ${r.summary}`) : ['nothing recorded'] }] });
    }
    case 'status': {
      const lines = await perWorkload(s, workloadsOf(s, plan, args.cluster), async (t) => {
        const gw = s.gatewayFor(t.cluster);
        // The HPA is told beside the workload; not being able to read it costs only its line.
        const [st, hpa] = await Promise.all([gw.status(refOf(t)), hpaOrError(gw.hpa(refOf(t)))]);
        const r = st.replicas;
        const main = `${st.containers.map((c) => c.image).join(', ')}: ${r.available}/${r.desired} available, ${r.updated} updated${st.revision === undefined ? '' : `, revision ${st.revision}`}`;
        return [main, ...(hpa instanceof KubeError ? [`HPA: ${hpa.message}`] : hpa === undefined ? [] : hpaLines(hpa))];
      });
      const { locks, freezes } = await s.policyState(now);
      const notes = [
        ...locks.filter((l) => plan.env === undefined || l.env === plan.env).map((l) => `locked: ${l.app ?? l.env} in ${l.env} by ${l.holder} until ${l.expiresAt.toISOString()}`),
        ...freezes.filter((f) => plan.env === undefined || f.env === plan.env).map((f) => `frozen: ${f.env} by ${f.by} until ${f.until.toISOString()}`),
      ];
      return message(`Status${plan.env === undefined ? '' : ` in ${plan.env}`}`, 'info', { sections: [{ lines }, ...(notes.length > 0 ? [{ heading: 'Locks and freezes', lines: notes }] : [])] });
    }
    case 'revisions': {
      // With what the bot saw of each: complete since when, failed, rolled back from, or unknown.
      const lines = await perWorkload(s, workloadsOf(s, plan, args.cluster), async (t) => {
        const [revisions, health] = await Promise.all([s.gatewayFor(t.cluster).history(refOf(t)), s.health.read({ cluster: t.cluster, namespace: t.namespace, kind: t.kind, name: t.workload })]);
        return revisions.map(
          (r) => `rev ${r.revision}${r.current ? ' (current)' : ''}: ${r.images.map((c) => c.image).join(', ')}, made ${ageOf(r.createdAt, now)} ago, ${describeVerdict(verdictOf(health.get(r.key)))}${r.changeCause === undefined ? '' : ` — ${r.changeCause}`}`,
        );
      });
      return message('Revisions', 'info', { sections: [{ lines }] });
    }
    case 'diagnose': {
      const lines = await perWorkload(s, workloadsOf(s, plan, args.cluster), async (t) => {
        const d = await s.gatewayFor(t.cluster).diagnose(refOf(t));
        return [
          `${d.status.replicas.ready}/${d.status.replicas.desired} ready${d.podReasons.length > 0 ? `; pods: ${d.podReasons.join(', ')}` : ''}`,
          ...d.events.slice(0, 5).map((e) => `  warning ${e.reason} ×${e.count}: ${e.message}`),
        ];
      });
      return message('Diagnosis', 'info', { sections: [{ lines }] });
    }
    default:
      return undefined;
  }
}
