import { waitingOn } from '../../core/approval.ts';
import { linksFor } from '../../core/links.ts';
import type { Link } from '../../core/message.ts';
import type { ProgressEvent, TargetResult } from '../../jobs/context.ts';
import { createLedger, targetKey } from '../../jobs/ledger.ts';
import type { OpRecord, OpStatus } from '../../jobs/operations.ts';
import { opChannels } from '../../service/op-live.ts';
import type { Services } from '../../service/services.ts';
import type { Config } from '../../config/schema.ts';
import type { ConsoleEntry, ConsoleStore } from './store.ts';

/**
 * What the dashboard shows, read from the same records chat is built from: operations running,
 * waiting for approval and finished (s.ops), each batch upgrade's batches and workloads (its
 * step ledger, or its result once finished), and the console channels that alerts go to.
 */
export interface DashboardOp {
  readonly id: string;
  readonly kind: string;
  readonly status: OpStatus;
  readonly env: string;
  readonly app: string;
  readonly requestedBy: string;
  readonly approvedBy: readonly string[];
  readonly summary: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly outcome?: string | undefined;
  readonly links: readonly Link[];
  /** Where the operation's live message is ("console:ops", "slack:C0123"). */
  readonly channels: readonly string[];
  readonly approval?: { readonly id: string; readonly required: number; readonly approvedBy: readonly string[]; readonly waitingOn: readonly string[]; readonly expiresAt: string } | undefined;
  readonly progress?: { readonly percent: number; readonly label: string } | undefined;
  readonly batches?: readonly BatchView[] | undefined;
  readonly targets?: readonly TargetResult[] | undefined;
}

export interface BatchView {
  /** 1-based. */
  readonly batch: number;
  readonly step: string;
  readonly workloads: readonly { readonly app: string; readonly cluster: string; readonly namespace: string; readonly name: string; readonly step: string; readonly message: string | undefined }[];
}

export interface AlertChannel {
  readonly channel: string;
  readonly entries: readonly ConsoleEntry[];
}

export interface Dashboard {
  readonly at: string;
  readonly running: readonly DashboardOp[];
  readonly awaitingApproval: readonly DashboardOp[];
  readonly recent: readonly DashboardOp[];
  readonly upgrades: readonly DashboardOp[];
  readonly alerts: readonly AlertChannel[];
}

const RUNNING: ReadonlySet<OpStatus> = new Set(['queued', 'running', 'paused']);

/**
 * The console channels alerts are routed to (config alerts.routes), plus any console channel
 * whose name says it is for alerts. The alert router posts there through the outbox like any
 * other message; the console stores it and the dashboard lists it here.
 */
export function alertChannels(config: Config, known: readonly string[]): string[] {
  const out = new Set<string>();
  for (const r of config.alerts.routes) for (const c of r.channels) if (c.startsWith('console:')) out.add(c);
  for (const c of known) if (/^console:.*alert/.test(c)) out.add(c);
  return [...out].sort();
}

async function upgradeBatches(s: Services, op: OpRecord): Promise<BatchView[] | undefined> {
  const snap = await createLedger(s.redis, s.prefix).read(op.id);
  if (snap === undefined || snap.payload.spec.kind !== 'upgrade') return undefined;
  return snap.payload.spec.batches.map((targets, i) => ({
    batch: i + 1,
    step: snap.batches[i] ?? 'pending',
    workloads: targets.map((t) => {
      const e = snap.workloads.get(targetKey(t));
      return { app: t.workload.app, cluster: t.workload.cluster, namespace: t.workload.namespace, name: t.workload.name, step: e?.step ?? 'pending', message: e?.message };
    }),
  }));
}

function progressLabel(e: ProgressEvent): string {
  const batch = e.batch === undefined || e.message.startsWith(`batch ${e.batch}`) ? '' : `batch ${e.batch}`;
  const where = [batch, e.workload ?? '', e.cluster === undefined ? '' : `on ${e.cluster}`].filter((x) => x !== '').join(' ');
  return where === '' ? e.message : `${where}: ${e.message}`;
}

async function viewOf(s: Services, op: OpRecord, detail: boolean): Promise<DashboardOp> {
  const now = s.clock();
  const [channels, approval, last] = await Promise.all([
    opChannels(s, op.id),
    op.approvalId === undefined || op.status !== 'awaiting_approval' ? Promise.resolve(undefined) : s.approvals.get(op.approvalId, now),
    RUNNING.has(op.status) ? s.ops.lastEvent(op.id) : Promise.resolve(undefined),
  ]);
  const batches = detail && op.kind === 'upgrade' ? await upgradeBatches(s, op) : undefined;
  return {
    id: op.id,
    kind: op.kind,
    status: op.status,
    env: op.env,
    app: op.app,
    requestedBy: op.requestedBy,
    approvedBy: op.approvedBy,
    summary: op.result?.summary ?? op.summary,
    createdAt: op.createdAt,
    updatedAt: op.updatedAt,
    outcome: op.result?.outcome,
    links: linksFor(s.config.links, { jobId: op.id, traceId: op.traceId, app: op.app, env: op.env }),
    channels: channels.map((c) => c.channel),
    ...(approval === undefined
      ? {}
      : { approval: { id: approval.id, required: approval.required, approvedBy: approval.approvals.map((a) => a.person), waitingOn: waitingOn(approval), expiresAt: approval.expiresAt.toISOString() } }),
    ...(last === undefined ? {} : { progress: { percent: Math.max(0, Math.min(100, Math.round(last.percent))), label: progressLabel(last) } }),
    ...(batches === undefined ? {} : { batches }),
    ...(op.result === undefined ? {} : { targets: op.result.targets }),
  };
}

export async function buildDashboard(s: Services, store: ConsoleStore, opts: { limit?: number } = {}): Promise<Dashboard> {
  const ops = await s.ops.list(opts.limit ?? 100);
  const running = ops.filter((o) => RUNNING.has(o.status));
  const awaiting = ops.filter((o) => o.status === 'awaiting_approval');
  const recent = ops.filter((o) => !RUNNING.has(o.status) && o.status !== 'awaiting_approval').slice(0, 50);
  // Batch detail for the upgrades still going and the last few finished.
  const upgradeIds = new Set([...running.filter((o) => o.kind === 'upgrade'), ...recent.filter((o) => o.kind === 'upgrade').slice(0, 5)].map((o) => o.id));
  const views = new Map<string, DashboardOp>();
  await Promise.all(ops.map(async (o) => views.set(o.id, await viewOf(s, o, upgradeIds.has(o.id)))));
  const pick = (list: readonly OpRecord[]) => list.map((o) => views.get(o.id)).filter((v): v is DashboardOp => v !== undefined);
  const channels = alertChannels(s.config, await store.channels());
  const alerts = await Promise.all(channels.map(async (channel) => ({ channel, entries: await store.list(channel, 20) })));
  return {
    at: s.clock().toISOString(),
    running: pick(running),
    awaitingApproval: pick(awaiting),
    recent: pick(recent),
    upgrades: pick(ops.filter((o) => upgradeIds.has(o.id))),
    alerts,
  };
}
