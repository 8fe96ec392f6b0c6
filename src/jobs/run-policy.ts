import type { Config } from '../config/schema.ts';
import { decide, type AdhocFreeze, type Lock } from '../core/policy.ts';
import { policyVerbOf, type JobPayload } from './spec.ts';

/**
 * Policy asked again when an operation is about to run (when it is approved, when its job
 * starts, before each batch of an upgrade): a freeze, someone else's lock, or a config that no
 * longer lets the requester do it since the request blocks it. Anything but a denial lets an
 * approved (or allowed) operation run; a rule that now wants more approvals than it has blocks.
 * A rollback that goes forward is decided as the deploy it is.
 */
export async function runtimeBlock(
  config: Config,
  policyState: (now: Date) => Promise<{ locks: readonly Lock[]; freezes: readonly AdhocFreeze[] }>,
  p: Pick<JobPayload, 'spec' | 'requestedBy' | 'approvedBy'>,
  now: Date,
): Promise<string | undefined> {
  const { locks, freezes } = await policyState(now);
  const apps = p.spec.kind === 'upgrade' ? p.spec.apps : [p.spec.app];
  const d = decide({ actor: p.requestedBy, verb: policyVerbOf(p.spec), env: p.spec.env, apps }, { config, now, locks, freezes });
  if (d.kind === 'deny') return d.reason;
  if (d.kind === 'approval' && p.approvedBy.length < d.count) return `it now needs ${d.count} approval(s) and has ${p.approvedBy.length}`;
  return undefined;
}
