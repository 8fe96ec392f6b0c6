import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import { decide, type AdhocFreeze, type Decision, type Lock, type PolicyWorld } from '../../../src/core/policy.ts';

let config: Config;
beforeAll(() => {
  const r = loadConfig(new URL('../../fixtures/policy-config.yaml', import.meta.url).pathname, {});
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  config = r.value;
});

// A Wednesday, outside every freeze window of the fixture.
const NORMAL = new Date('2026-11-25T10:00:00Z');
const YEAR_END = new Date('2026-12-28T10:00:00Z');
// Friday 23:30 in Berlin (22:30 UTC), inside the overnight staging window…
const FRIDAY_NIGHT = new Date('2026-11-27T22:30:00Z');
// …and 05:00 Saturday in Berlin, still inside it because it started on Friday.
const SATURDAY_EARLY = new Date('2026-11-28T04:00:00Z');
const SATURDAY_LATER = new Date('2026-11-28T06:30:00Z');

const lockBy = (holder: string, env: string, app?: string): Lock => ({ env, app, holder, reason: 'migration', expiresAt: new Date('2030-01-01T00:00:00Z') });
const expiredLock: Lock = { env: 'prod', holder: 'bob', expiresAt: new Date('2020-01-01T00:00:00Z') };
const adhoc: AdhocFreeze = { env: 'prod', by: 'bob', reason: 'incident 2311', until: new Date('2026-11-25T12:00:00Z') };

type Row = [string, string | undefined, string, string | undefined, string[], Date, Lock[], AdhocFreeze[], string];

/** [case, actor, verb, env, apps, now, locks, adhoc freezes, expected] — expected: allow | approval:<n>:<approvers> | deny:<code> */
const rows: Row[] = [
  ['unknown person is denied', undefined, 'deploy', 'staging', ['web'], NORMAL, [], [], 'deny:E_UNKNOWN_PERSON'],
  ['unknown person may ask for help', undefined, 'help', undefined, [], NORMAL, [], [], 'allow'],
  ['anyone known may read status', 'erin', 'status', 'prod', ['web'], NORMAL, [], [], 'allow'],
  ['status across all envs is allowed by a * rule', 'erin', 'status', undefined, [], NORMAL, [], [], 'allow'],
  ['dev deploys to staging freely', 'alice', 'deploy', 'staging', ['web'], NORMAL, [], [], 'allow'],
  ['dev deploy to prod needs one sre approval', 'alice', 'deploy', 'prod', ['web'], NORMAL, [], [], 'approval:1:bob,carol'],
  ['sre deploy to prod: self excluded from approvers', 'bob', 'deploy', 'prod', ['web'], NORMAL, [], [], 'approval:1:carol'],
  ['upgrade follows the prod rule', 'dave', 'upgrade', 'prod', ['web', 'api'], NORMAL, [], [], 'approval:1:bob,carol'],
  ['continue is authorized like upgrade', 'dave', 'continue', 'prod', ['web'], NORMAL, [], [], 'approval:1:bob,carol'],
  ['abort is authorized like upgrade', 'alice', 'abort', 'prod', ['web'], NORMAL, [], [], 'approval:1:bob,carol'],
  ['promote is authorized like a deploy to the target', 'alice', 'promote', 'prod', ['web'], NORMAL, [], [], 'approval:1:bob,carol'],
  ['promote into staging: as free as a deploy there', 'alice', 'promote', 'staging', ['web'], NORMAL, [], [], 'allow'],
  ['promote by someone no deploy rule names is denied', 'erin', 'promote', 'prod', ['web'], NORMAL, [], [], 'deny:E_NOT_ALLOWED'],
  ['scheduled freeze blocks promote', 'bob', 'promote', 'prod', ['web'], YEAR_END, [], [], 'deny:E_FROZEN'],
  ['lock by another blocks promote', 'alice', 'promote', 'staging', ['web'], NORMAL, [lockBy('bob', 'staging')], [], 'deny:E_LOCKED'],
  ['retry by someone outside the rule is denied', 'erin', 'retry', 'prod', ['web'], NORMAL, [], [], 'deny:E_NOT_ALLOWED'],
  ['sre rolls back prod without approval', 'carol', 'rollback', 'prod', ['web'], NORMAL, [], [], 'allow'],
  ['dev rollback in prod: lighter rule, any other dev or sre', 'alice', 'rollback', 'prod', ['web'], NORMAL, [], [], 'approval:1:bob,carol,dave'],
  ['no rule: denied by default', 'erin', 'scale', 'prod', ['web'], NORMAL, [], [], 'deny:E_NOT_ALLOWED'],
  ['verb not in any rule: denied', 'bob', 'upgrade', 'staging', ['web'], NORMAL, [], [], 'deny:E_NOT_ALLOWED'],
  ['two approvals from a group of two', 'erin', 'deploy', 'dev', ['web'], NORMAL, [], [], 'approval:2:bob,carol'],
  ['approvers are only the requester: denied', 'alice', 'restart', 'dev', ['web'], NORMAL, [], [], 'deny:E_TOO_FEW_APPROVERS'],
  ['scheduled freeze blocks deploy', 'bob', 'deploy', 'prod', ['web'], YEAR_END, [], [], 'deny:E_FROZEN'],
  ['scheduled freeze blocks upgrade decisions', 'bob', 'continue', 'prod', ['web'], YEAR_END, [], [], 'deny:E_FROZEN'],
  ['scheduled freeze allows rollback', 'bob', 'rollback', 'prod', ['web'], YEAR_END, [], [], 'allow'],
  ['scheduled freeze allows reads', 'erin', 'status', 'prod', [], YEAR_END, [], [], 'allow'],
  ['weekly overnight freeze, Friday night', 'alice', 'deploy', 'staging', ['web'], FRIDAY_NIGHT, [], [], 'deny:E_FROZEN'],
  ['weekly overnight freeze, early Saturday', 'alice', 'deploy', 'staging', ['web'], SATURDAY_EARLY, [], [], 'deny:E_FROZEN'],
  ['weekly overnight freeze ends at 06:00', 'alice', 'deploy', 'staging', ['web'], SATURDAY_LATER, [], [], 'allow'],
  ['ad-hoc freeze blocks scale', 'bob', 'scale', 'prod', ['web'], NORMAL, [], [adhoc], 'deny:E_FROZEN'],
  ['ad-hoc freeze blocks autoscale', 'bob', 'autoscale', 'prod', ['web'], NORMAL, [], [adhoc], 'deny:E_FROZEN'],
  ['env lock by another blocks autoscale', 'alice', 'autoscale', 'staging', ['web'], NORMAL, [lockBy('bob', 'staging')], [], 'deny:E_LOCKED'],
  ['ad-hoc freeze allows rollback', 'bob', 'rollback', 'prod', ['web'], NORMAL, [], [adhoc], 'allow'],
  ['ad-hoc freeze over: allowed again', 'bob', 'scale', 'prod', ['web'], new Date('2026-11-25T12:00:01Z'), [], [adhoc], 'approval:1:carol'],
  ['env lock by another blocks deploy', 'alice', 'deploy', 'staging', ['web'], NORMAL, [lockBy('bob', 'staging')], [], 'deny:E_LOCKED'],
  ['app lock by another blocks that app', 'alice', 'deploy', 'staging', ['web'], NORMAL, [lockBy('bob', 'staging', 'web')], [], 'deny:E_LOCKED'],
  ['app lock does not block another app', 'alice', 'deploy', 'staging', ['api'], NORMAL, [lockBy('bob', 'staging', 'web')], [], 'allow'],
  ['own lock does not block', 'alice', 'deploy', 'staging', ['web'], NORMAL, [lockBy('alice', 'staging')], [], 'allow'],
  ['lock by another allows rollback', 'alice', 'rollback', 'staging', ['web'], NORMAL, [lockBy('bob', 'staging')], [], 'allow'],
  ['expired lock is ignored', 'bob', 'deploy', 'prod', ['web'], NORMAL, [expiredLock], [], 'approval:1:carol'],
  ['lock in another env is ignored', 'alice', 'deploy', 'staging', ['web'], NORMAL, [lockBy('bob', 'prod')], [], 'allow'],
  ['a freeze outranks allow rules', 'carol', 'restart', 'prod', ['web'], YEAR_END, [], [], 'deny:E_FROZEN'],
  ['settings need a rule', 'alice', 'freeze', 'prod', [], NORMAL, [], [], 'deny:E_NOT_ALLOWED'],
  ['sre may freeze', 'bob', 'freeze', 'prod', [], NORMAL, [], [], 'allow'],
  ['locks do not stop the lock verb itself', 'carol', 'lock', 'prod', [], NORMAL, [lockBy('bob', 'prod')], [], 'allow'],
];

function summary(d: Decision): string {
  if (d.kind === 'allow') return 'allow';
  if (d.kind === 'approval') return `approval:${d.count}:${d.approvers.join(',')}`;
  return `deny:${d.code}`;
}

describe('policy', () => {
  it.each(rows)('%s', (_name, actor, verb, env, apps, now, locks, freezes, expected) => {
    const world: PolicyWorld = { config, now, locks, freezes };
    const d = decide({ actor, verb, env, apps }, world);
    expect(summary(d)).toBe(expected);
    if (d.kind === 'deny') expect(d.reason.length).toBeGreaterThan(15);
  });

  it('names the freeze and when it ends', () => {
    const d = decide({ actor: 'bob', verb: 'deploy', env: 'prod', apps: ['web'] }, { config, now: YEAR_END, locks: [], freezes: [] });
    expect(d).toMatchObject({ kind: 'deny', code: 'E_FROZEN' });
    if (d.kind === 'deny') expect(d.reason).toBe('prod is frozen (year-end: year-end freeze) until 2027-01-02 00:00 Asia/Shanghai. Rollback is still allowed.');
  });

  it('gives the approval expiry from the rule', () => {
    const d = decide({ actor: 'alice', verb: 'rollback', env: 'prod', apps: ['web'] }, { config, now: NORMAL, locks: [], freezes: [] });
    expect(d.kind === 'approval' ? d.expiresIn.seconds : d).toBe(600);
  });
});
