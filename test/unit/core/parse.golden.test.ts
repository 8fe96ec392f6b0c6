import { describe, expect, it } from 'vitest';
import { commands } from '../../../commands/index.ts';
import { parseCommand } from '../../../src/core/parse.ts';

/**
 * Real-looking chat lines and what they must parse to: either the verb and arguments, or the
 * stable error code. Includes Chinese-keyboard punctuation, phone smart quotes and text
 * pasted from Slack with its markup.
 */
const D = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
type Expect = { verb: string; args: Record<string, unknown> } | string;

const golden: readonly (readonly [string, Expect])[] = [
  // deploy
  ['/deploy web v1.4.2 to prod', { verb: 'deploy', args: { app: 'web', ref: 'v1.4.2', env: 'prod' } }],
  ['/deploy web image=registry.example.com/web:1.4.2 env=prod --reason "hotfix for login"', { verb: 'deploy', args: { app: 'web', ref: 'registry.example.com/web:1.4.2', env: 'prod', reason: 'hotfix for login' } }],
  [`/deploy web@sha256:${D} to staging`, { verb: 'deploy', args: { app: 'web', ref: `@sha256:${D}`, env: 'staging' } }],
  ['/deploy web:v1.4.2 to prod', { verb: 'deploy', args: { app: 'web', ref: 'v1.4.2', env: 'prod' } }],
  ['/deploy web v1.4.2 to prod cluster=gz-prod', { verb: 'deploy', args: { app: 'web', ref: 'v1.4.2', env: 'prod', cluster: 'gz-prod' } }],
  ['/deploy web v1.4.2 to prod on gz-prod --dry-run', { verb: 'deploy', args: { app: 'web', ref: 'v1.4.2', env: 'prod', cluster: 'gz-prod', dryrun: true } }],
  ['/deploy Web V1.4.2 TO Prod', { verb: 'deploy', args: { app: 'web', ref: 'V1.4.2', env: 'prod' } }],
  ['/deploy web version=v2 environment=dev', { verb: 'deploy', args: { app: 'web', ref: 'v2', env: 'dev' } }],
  ['/deploy web v1.4.2 to prod --reason=hotfix', { verb: 'deploy', args: { app: 'web', ref: 'v1.4.2', env: 'prod', reason: 'hotfix' } }],
  ["/deploy web v1.4.2 to prod --reason 'single quoted'", { verb: 'deploy', args: { app: 'web', ref: 'v1.4.2', env: 'prod', reason: 'single quoted' } }],
  ['/deploy web v1.4.2 to prod --reason "say \\"hi\\""', { verb: 'deploy', args: { app: 'web', ref: 'v1.4.2', env: 'prod', reason: 'say "hi"' } }],
  ['/deploy  web   v1.4.2\tto prod', { verb: 'deploy', args: { app: 'web', ref: 'v1.4.2', env: 'prod' } }],
  ['deploy web v1.4.2 to prod', { verb: 'deploy', args: { app: 'web', ref: 'v1.4.2', env: 'prod' } }],
  ['/ops deploy web v1.4.2 to prod', { verb: 'deploy', args: { app: 'web', ref: 'v1.4.2', env: 'prod' } }],
  ['<@U0BOT123> deploy web v1.4.2 to prod', { verb: 'deploy', args: { app: 'web', ref: 'v1.4.2', env: 'prod' } }],
  ['@_user_1 deploy web v1.4.2 to prod', { verb: 'deploy', args: { app: 'web', ref: 'v1.4.2', env: 'prod' } }],
  ['/deploy web <http://registry.example.com/web:1.4.2|registry.example.com/web:1.4.2> to prod', { verb: 'deploy', args: { app: 'web', ref: 'registry.example.com/web:1.4.2', env: 'prod' } }],
  ['/deploy web v1.4.2 to prod --reason “登录修复”', { verb: 'deploy', args: { app: 'web', ref: 'v1.4.2', env: 'prod', reason: '登录修复' } }],
  ['/deploy web v1.4.2 to prod，reason＝“热修复 登录”', { verb: 'deploy', args: { app: 'web', ref: 'v1.4.2', env: 'prod', reason: '热修复 登录' } }],
  ['/deploy web v1.4.2 to prod —reason “hotfix”', { verb: 'deploy', args: { app: 'web', ref: 'v1.4.2', env: 'prod', reason: 'hotfix' } }],
  ['/deploy\u00A0web\u00A0v1.4.2\u3000to\u3000prod', { verb: 'deploy', args: { app: 'web', ref: 'v1.4.2', env: 'prod' } }],
  ['／deploy ｗｅｂ ｖ１.４.２ ｔｏ ｐｒｏｄ', { verb: 'deploy', args: { app: 'web', ref: 'v1.4.2', env: 'prod' } }],
  ['/deploy web v1.4.2 to prod。', { verb: 'deploy', args: { app: 'web', ref: 'v1.4.2', env: 'prod' } }],
  ['/deploy web v1.4.2 to prod --reason "fix &lt;login&gt; &amp; logout"', { verb: 'deploy', args: { app: 'web', ref: 'v1.4.2', env: 'prod', reason: 'fix <login> & logout' } }],
  ['/deploy web to prod', 'E_MISSING_ARG'],
  ['/deploy web v1.4.2', 'E_MISSING_ARG'],
  ['/deploy web v1.4.2 to', 'E_MISSING_ARG'],
  ['/deploy web v1.4.2 to prod env=staging', 'E_DUPLICATE_ARG'],
  ['/deploy web v1.4.2 to prod --reasn hotfix', 'E_UNKNOWN_OPTION'],
  ['/deploy web v1.4.2 to prod colour=blue', 'E_UNKNOWN_OPTION'],
  ['/deploy web v1.4.2 to prod extra', 'E_UNEXPECTED_ARG'],
  ['/deploy web registry.example.com/Web:1.4.2 to prod', 'E_INVALID_IMAGE'],
  ['/deploy web registry.example.com/web to prod', 'E_INVALID_IMAGE'],
  ['/deploy web@sha256:abc to prod', 'E_INVALID_IMAGE'],
  ['/deploy web .hidden to prod', 'E_INVALID_IMAGE'],
  ['/deploy web v1 to prod --reason "unterminated', 'E_UNTERMINATED_QUOTE'],
  ['/deploy web v1 to prod --reason ""', 'E_INVALID_ARG'],
  ['/deploy web v1 to PROD!', 'E_INVALID_ARG'],
  ['/delpoy web v1.4.2 to prod', 'E_UNKNOWN_VERB'],
  ['/ship web v1.4.2 to prod', 'E_UNKNOWN_VERB'],
  ['', 'E_EMPTY'],
  ['   ', 'E_EMPTY'],
  ['/ops', 'E_EMPTY'],
  ['<@U0BOT123>', 'E_EMPTY'],
  // scale
  ['/scale web 5 in prod', { verb: 'scale', args: { app: 'web', replicas: 5, env: 'prod' } }],
  ['/scale web replicas=5 env=prod cluster=gz-prod', { verb: 'scale', args: { app: 'web', replicas: 5, env: 'prod', cluster: 'gz-prod' } }],
  ['/scale web to 0 in staging', { verb: 'scale', args: { app: 'web', replicas: 0, env: 'staging' } }],
  ['/scale web ５ in prod', { verb: 'scale', args: { app: 'web', replicas: 5, env: 'prod' } }],
  ['/scale web -1 in prod', 'E_INVALID_ARG'],
  ['/scale web five in prod', 'E_INVALID_ARG'],
  ['/scale web in prod', 'E_MISSING_ARG'],
  // scale … suggest
  ['/scale web in staging suggest cpu=50%', { verb: 'scale', args: { app: 'web', env: 'staging', suggest: true, cpu: '50%' } }],
  ['/scale web suggest in staging memory=512Mi', { verb: 'scale', args: { app: 'web', env: 'staging', suggest: true, memory: '512Mi' } }],
  ['/scale web in staging --suggest mem=80%', { verb: 'scale', args: { app: 'web', env: 'staging', suggest: true, memory: '80%' } }],
  ['/scale web in staging suggest metric="sum by (pod) (rate(http_requests_total[1m]))" target=100', { verb: 'scale', args: { app: 'web', env: 'staging', suggest: true, metric: 'sum by (pod) (rate(http_requests_total[1m]))', target: '100' } }],
  ['/scale web in staging suggest', 'E_INVALID_ARG'],
  ['/scale web in staging suggest cpu=50% memory=80%', 'E_INVALID_ARG'],
  ['/scale web in staging suggest cpu=fifty', 'E_INVALID_ARG'],
  ['/scale web in staging suggest cpu=0%', 'E_INVALID_ARG'],
  ['/scale web in staging suggest metric="sum by (pod) (up)"', 'E_MISSING_ARG'],
  ['/scale web 5 in staging suggest cpu=50%', 'E_INVALID_ARG'],
  ['/scale web 5 in staging cpu=50%', 'E_INVALID_ARG'],
  // autoscale
  ['/autoscale web in staging min=2 max=10 cpu=50%', { verb: 'autoscale', args: { app: 'web', env: 'staging', min: 2, max: 10, cpu: '50%' } }],
  ['/autoscale web in staging min=2 max=10 cpu=50% memory=512Mi scaledown=30s', { verb: 'autoscale', args: { app: 'web', env: 'staging', min: 2, max: 10, cpu: '50%', memory: '512Mi', scaledown: '30s' } }],
  ['/autoscale web in prod min=3 max=20 metric=http_requests_per_second target=100 on gz-prod', { verb: 'autoscale', args: { app: 'web', env: 'prod', min: 3, max: 20, metric: 'http_requests_per_second', target: '100', cluster: 'gz-prod' } }],
  ['/autoscale web in staging off', { verb: 'autoscale', args: { app: 'web', env: 'staging', off: true } }],
  ['/autoscale web in staging --off --dry-run', { verb: 'autoscale', args: { app: 'web', env: 'staging', off: true, dryrun: true } }],
  ['/autoscale web in staging off min=2', 'E_INVALID_ARG'],
  ['/autoscale web in staging max=10 cpu=50%', 'E_MISSING_ARG'],
  ['/autoscale web in staging min=0 max=10 cpu=50%', 'E_INVALID_ARG'],
  ['/autoscale web in staging min=5 max=3 cpu=50%', 'E_INVALID_ARG'],
  ['/autoscale web in staging min=2 max=10', 'E_INVALID_ARG'],
  ['/autoscale web in staging min=2 max=10 metric=rps', 'E_MISSING_ARG'],
  ['/autoscale web in staging min=2 max=10 cpu=50% scaledown=2h', 'E_INVALID_ARG'],
  ['/autoscale web in staging min=2 max=10 cpu=50% maybe', 'E_UNEXPECTED_ARG'],
  // rollback
  ['/rollback web in prod', { verb: 'rollback', args: { app: 'web', env: 'prod' } }],
  ['/rollback web in prod to 12', { verb: 'rollback', args: { app: 'web', env: 'prod', target: '12' } }],
  ['/rollback web in prod to rev12', { verb: 'rollback', args: { app: 'web', env: 'prod', target: '12' } }],
  ['/rollback web in prod to v1.4.1', { verb: 'rollback', args: { app: 'web', env: 'prod', target: 'v1.4.1' } }],
  ['/rollback web in prod to 0', 'E_BAD_REVISION'],
  ['/rollback web in prod to -3', 'E_BAD_REVISION'],
  ['/rollback web', 'E_MISSING_ARG'],
  ['/rollbak web in prod', 'E_UNKNOWN_VERB'],
  // restart
  ['/restart worker in prod cluster=nj-prod --reason "stuck consumers"', { verb: 'restart', args: { app: 'worker', env: 'prod', cluster: 'nj-prod', reason: 'stuck consumers' } }],
  // upgrade
  ['/upgrade registry.example.com/base:2.1 apps=web,api,worker env=prod batches=gz,nj,tj,hk gate=manual', { verb: 'upgrade', args: { image: 'registry.example.com/base:2.1', apps: ['web', 'api', 'worker'], env: 'prod', batches: [['gz'], ['nj'], ['tj'], ['hk']], gate: 'manual' } }],
  ['/upgrade registry.example.com/base:2.1 apps=web,api env=prod batches=10%,50%,100% gate=auto', { verb: 'upgrade', args: { image: 'registry.example.com/base:2.1', apps: ['web', 'api'], env: 'prod', batches: [['10%'], ['50%'], ['100%']], gate: 'auto' } }],
  ['/upgrade registry.example.com/base:2.1 apps＝web，api env＝prod batches＝10%，100%', { verb: 'upgrade', args: { image: 'registry.example.com/base:2.1', apps: ['web', 'api'], env: 'prod', batches: [['10%'], ['100%']], gate: 'manual' } }],
  ['/upgrade registry.example.com/base:2.1 apps=web, api env=prod batches=10%, 50%, 100% gate=auto', { verb: 'upgrade', args: { image: 'registry.example.com/base:2.1', apps: ['web', 'api'], env: 'prod', batches: [['10%'], ['50%'], ['100%']], gate: 'auto' } }],
  ['/upgrade registry.example.com/base:2.1 apps=web,api,worker env=prod batches=web+api,worker', { verb: 'upgrade', args: { image: 'registry.example.com/base:2.1', apps: ['web', 'api', 'worker'], env: 'prod', batches: [['web', 'api'], ['worker']], gate: 'manual' } }],
  ['/upgrade registry.example.com/base:2.1 apps=web env=prod batches=10%,50%', 'E_BAD_BATCHES'],
  ['/upgrade registry.example.com/base:2.1 apps=web env=prod batches=50%,10%,100%', 'E_BAD_BATCHES'],
  ['/upgrade registry.example.com/base:2.1 apps=web env=prod batches=gz,10%,100%', 'E_BAD_BATCHES'],
  ['/upgrade registry.example.com/base:2.1 apps=web env=prod batches=gz gate=sometimes', 'E_INVALID_ARG'],
  ['/upgrade base apps=web env=prod batches=gz', 'E_INVALID_IMAGE'],
  ['/upgrade registry.example.com/base:2.1 apps=web,web env=prod batches=gz', 'E_INVALID_ARG'],
  // decisions, approvals
  ['/continue op-7f3a2c', { verb: 'continue', args: { op: 'op-7f3a2c' } }],
  ['/retry op-7f3a2c --reason "registry fixed"', { verb: 'retry', args: { op: 'op-7f3a2c', reason: 'registry fixed' } }],
  ['/abort op-7f3a2c --rollback', { verb: 'abort', args: { op: 'op-7f3a2c', rollback: true } }],
  ['/approve apr-51c9e0', { verb: 'approve', args: { request: 'apr-51c9e0' } }],
  ['/reject apr-51c9e0 --reason "wait for the incident"', { verb: 'reject', args: { request: 'apr-51c9e0', reason: 'wait for the incident' } }],
  ['/approve', 'E_MISSING_ARG'],
  ['/cancel op-7f3a2c', { verb: 'cancel', args: { id: 'op-7f3a2c' } }],
  // queries
  ['/status', { verb: 'status', args: {} }],
  ['/status web in prod', { verb: 'status', args: { app: 'web', env: 'prod' } }],
  ['/history web in prod limit=50', { verb: 'history', args: { app: 'web', env: 'prod', limit: 50 } }],
  ['/history limit=5000', 'E_INVALID_ARG'],
  ['/revisions web in prod', { verb: 'revisions', args: { app: 'web', env: 'prod' } }],
  ['/diagnose web in prod cluster=gz', { verb: 'diagnose', args: { app: 'web', env: 'prod', cluster: 'gz' } }],
  ['/audit by=alice limit=20', { verb: 'audit', args: { by: 'alice', limit: 20 } }],
  ['/jobs state=paused', { verb: 'jobs', args: { state: 'paused' } }],
  // settings
  ['/lock prod for 2h --reason "database migration"', { verb: 'lock', args: { target: 'prod', for: '2h', reason: 'database migration' } }],
  ['/lock web in prod', { verb: 'lock', args: { target: 'web', env: 'prod' } }],
  ['/lock prod for two-hours', 'E_BAD_DURATION'],
  ['/unlock web in prod', { verb: 'unlock', args: { target: 'web', env: 'prod' } }],
  ['/freeze prod for 4h --reason "incident 2311"', { verb: 'freeze', args: { env: 'prod', for: '4h', reason: 'incident 2311' } }],
  ['/freeze prod for 4h', 'E_MISSING_ARG'],
  ['/subscribe alerts env=prod severity=critical', { verb: 'subscribe', args: { topic: 'alerts', env: 'prod', severity: 'critical' } }],
  ['/subscribe Alerts in prod for web,api', { verb: 'subscribe', args: { topic: 'alerts', env: 'prod', apps: ['web', 'api'] } }],
  ['/subscribe gossip', 'E_INVALID_ARG'],
  ['/unsubscribe alerts env=prod', { verb: 'unsubscribe', args: { topic: 'alerts', env: 'prod' } }],
  ['/subscriptions', { verb: 'subscriptions', args: {} }],
  ['/silence al-3f9c for 2h --reason "known, fix deploying"', { verb: 'silence', args: { alert: 'al-3f9c', for: '2h', reason: 'known, fix deploying' } }],
  ['/silence app=web env=staging for 30m', { verb: 'silence', args: { app: 'web', env: 'staging', for: '30m' } }],
  ['/silence for=2h', 'E_MISSING_ARG'],
  ['/ack al-3f9c', { verb: 'ack', args: { alert: 'al-3f9c' } }],
  // meta
  ['/help', { verb: 'help', args: {} }],
  ['/help deploy', { verb: 'help', args: { topic: 'deploy' } }],
  ['/ops help /scale', { verb: 'help', args: { topic: 'scale' } }],
  ['/whoami', { verb: 'whoami', args: {} }],
  ['/whoami please', 'E_UNEXPECTED_ARG'],
];

/** Durations are objects with a canonical text form; compare them as text. */
function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v));
}

describe('golden chat lines', () => {
  it('has at least 60 lines', () => {
    expect(golden.length).toBeGreaterThanOrEqual(60);
  });

  it.each(golden)('%s', (line, expected) => {
    const r = parseCommand(line, commands);
    if (typeof expected === 'string') {
      expect(r.ok ? r.value : r.error.code).toBe(expected);
      if (!r.ok) expect(r.error.message.length).toBeGreaterThan(10);
    } else {
      expect(r.ok ? plain(r.value) : r.error).toEqual(expected);
    }
  });
});
