import type { AccessRule, Config } from '../config/schema.ts';
import type { Duration } from './duration.ts';
import { activeFreeze } from './freeze.ts';

/**
 * Who may do what, decided by an ordered list of small pure rules. Each rule either has
 * something to say (a decision) or passes (null); the first decision wins, and when no
 * rule allows a request it is denied: deny by default.
 */

export interface PolicyRequest {
  /** The person as named in config, or undefined when the chat user is not in it. */
  readonly actor: string | undefined;
  readonly verb: string;
  readonly env: string | undefined;
  readonly apps: readonly string[];
}

export interface Lock {
  readonly env: string;
  /** Undefined: the whole environment. */
  readonly app?: string | undefined;
  readonly holder: string;
  readonly reason?: string | undefined;
  readonly expiresAt: Date;
}

/** A freeze set from chat (`/freeze prod for 2h`), beside the scheduled ones in config. */
export interface AdhocFreeze {
  readonly env: string;
  readonly by: string;
  readonly reason: string;
  readonly until: Date;
}

export interface PolicyWorld {
  readonly config: Config;
  readonly now: Date;
  readonly locks: readonly Lock[];
  readonly freezes: readonly AdhocFreeze[];
}

export type DenyCode = 'E_UNKNOWN_PERSON' | 'E_FROZEN' | 'E_LOCKED' | 'E_NOT_ALLOWED' | 'E_TOO_FEW_APPROVERS';

export type Decision =
  | { readonly kind: 'allow'; readonly rule: string }
  | {
      readonly kind: 'approval';
      readonly rule: string;
      readonly count: number;
      /** Everyone who may approve, the requester excluded. */
      readonly approvers: readonly string[];
      /** As configured, for people to read ("group:sre"). */
      readonly from: readonly string[];
      readonly expiresIn: Duration;
    }
  | { readonly kind: 'deny'; readonly code: DenyCode; readonly reason: string };

type Rule = (req: PolicyRequest, world: PolicyWorld) => Decision | null;

/** Verbs that change workloads; only these are stopped by freezes and locks. */
export const WORKLOAD_VERBS: ReadonlySet<string> = new Set(['deploy', 'scale', 'autoscale', 'rollback', 'restart', 'upgrade']);
/** Getting back to a known good state must stay possible during a freeze or someone's lock. */
export const EMERGENCY_VERBS: ReadonlySet<string> = new Set(['rollback']);
/**
 * Decisions on a paused batch upgrade are authorized exactly like the upgrade itself; a
 * promotion exactly like a deploy to its target environment (it is one, of a bound digest).
 */
const AUTHORIZED_AS: Readonly<Record<string, string>> = { continue: 'upgrade', retry: 'upgrade', abort: 'upgrade', promote: 'deploy' };
const ALWAYS_ALLOWED: ReadonlySet<string> = new Set(['help', 'whoami']);

export function policyVerb(verb: string): string {
  return AUTHORIZED_AS[verb] ?? verb;
}

const metaCommands: Rule = (req) => (ALWAYS_ALLOWED.has(req.verb) ? { kind: 'allow', rule: 'help and whoami are open to everyone' } : null);

const knownPerson: Rule = (req, { config }) =>
  req.actor !== undefined && Object.hasOwn(config.people, req.actor)
    ? null
    : {
        kind: 'deny',
        code: 'E_UNKNOWN_PERSON',
        reason: "I don't know who you are. Ask an admin to add your chat id to the bot's people list.",
      };

const freezeWindow: Rule = (req, { config, now, freezes }) => {
  const verb = policyVerb(req.verb);
  if (req.env === undefined || !WORKLOAD_VERBS.has(verb) || EMERGENCY_VERBS.has(verb)) return null;
  const scheduled = activeFreeze(config.freezes, req.env, now);
  if (scheduled !== undefined) {
    const why = scheduled.reason === undefined ? '' : `: ${scheduled.reason}`;
    return { kind: 'deny', code: 'E_FROZEN', reason: `${req.env} is frozen (${scheduled.name}${why}) until ${scheduled.until}. Rollback is still allowed.` };
  }
  const adhoc = freezes.find((f) => f.env === req.env && f.until > now);
  if (adhoc !== undefined) {
    return {
      kind: 'deny',
      code: 'E_FROZEN',
      reason: `${req.env} is frozen by ${adhoc.by} until ${adhoc.until.toISOString()}: ${adhoc.reason}. Rollback is still allowed.`,
    };
  }
  return null;
};

const lockHeldByOther: Rule = (req, { now, locks }) => {
  const verb = policyVerb(req.verb);
  if (req.env === undefined || !WORKLOAD_VERBS.has(verb) || EMERGENCY_VERBS.has(verb)) return null;
  const lock = locks.find(
    (l) => l.env === req.env && l.expiresAt > now && l.holder !== req.actor && (l.app === undefined || req.apps.includes(l.app)),
  );
  if (lock === undefined) return null;
  const what = lock.app === undefined ? req.env : `${lock.app} in ${req.env}`;
  const why = lock.reason === undefined ? '' : ` (${lock.reason})`;
  return {
    kind: 'deny',
    code: 'E_LOCKED',
    reason: `${what} is locked by ${lock.holder}${why} until ${lock.expiresAt.toISOString()}. Ask them to unlock it; rollback is still allowed.`,
  };
};

/** People a list of subjects ("alice", "group:sre", "*") stands for. */
export function expandSubjects(config: Config, subjects: readonly string[]): string[] {
  const out = new Set<string>();
  for (const s of subjects) {
    if (s === '*') Object.keys(config.people).forEach((p) => out.add(p));
    else if (s.startsWith('group:')) (config.groups[s.slice('group:'.length)] ?? []).forEach((p) => out.add(p));
    else if (Object.hasOwn(config.people, s)) out.add(s);
  }
  return [...out].sort();
}

function ruleName(rule: AccessRule, index: number): string {
  return rule.name ?? `access[${index}]`;
}

export function ruleMatches(config: Config, rule: AccessRule, req: PolicyRequest): boolean {
  const verb = policyVerb(req.verb);
  const actor = req.actor;
  if (actor === undefined || !expandSubjects(config, rule.who).includes(actor)) return false;
  if (!rule.verbs.includes('*') && !rule.verbs.includes(verb)) return false;
  // A request that spans every environment (no env given) needs a rule for all of them.
  if (!rule.envs.includes('*') && (req.env === undefined || !rule.envs.includes(req.env))) return false;
  if (!rule.apps.includes('*') && !req.apps.every((a) => rule.apps.includes(a))) return false;
  return true;
}

const accessRules: Rule = (req, { config }) => {
  const index = config.access.findIndex((r) => ruleMatches(config, r, req));
  const rule = config.access[index];
  const verb = policyVerb(req.verb);
  if (rule === undefined) {
    const where = req.env === undefined ? '' : ` in ${req.env}`;
    const what = req.apps.length === 0 ? '' : ` ${req.apps.join(', ')}`;
    return { kind: 'deny', code: 'E_NOT_ALLOWED', reason: `No access rule lets ${req.actor ?? 'you'} ${verb}${what}${where}.` };
  }
  if (rule.approval === undefined) return { kind: 'allow', rule: ruleName(rule, index) };
  // Four eyes: the requester never counts as one of their own approvers.
  const approvers = expandSubjects(config, rule.approval.from).filter((p) => p !== req.actor);
  if (approvers.length < rule.approval.count) {
    return {
      kind: 'deny',
      code: 'E_TOO_FEW_APPROVERS',
      reason: `This needs ${rule.approval.count} approval(s) from ${rule.approval.from.join(', ')}, but only ${approvers.length} person(s) other than you can approve.`,
    };
  }
  return {
    kind: 'approval',
    rule: ruleName(rule, index),
    count: rule.approval.count,
    approvers,
    from: rule.approval.from,
    expiresIn: rule.approval.expires,
  };
};

/** The rules in the order they are asked. Deny rules come before the rule that can allow. */
export const POLICY_RULES: readonly (readonly [string, Rule])[] = [
  ['meta commands', metaCommands],
  ['known person', knownPerson],
  ['freeze window', freezeWindow],
  ['lock held by another', lockHeldByOther],
  ['access rules', accessRules],
];

export function decide(req: PolicyRequest, world: PolicyWorld): Decision {
  for (const [, rule] of POLICY_RULES) {
    const d = rule(req, world);
    if (d !== null) return d;
  }
  return { kind: 'deny', code: 'E_NOT_ALLOWED', reason: 'Nothing allows this request.' };
}

/** A person's access, for `whoami`: each rule that names them. */
export function accessOf(config: Config, person: string): { rule: string; verbs: readonly string[]; envs: readonly string[]; apps: readonly string[]; approval: string | undefined }[] {
  return config.access
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => expandSubjects(config, r.who).includes(person))
    .map(({ r, i }) => ({
      rule: ruleName(r, i),
      verbs: r.verbs,
      envs: r.envs,
      apps: r.apps,
      approval: r.approval === undefined ? undefined : `${r.approval.count} from ${r.approval.from.join(', ')}`,
    }));
}

export function groupsOf(config: Config, person: string): string[] {
  return Object.entries(config.groups)
    .filter(([, members]) => members.includes(person))
    .map(([g]) => g)
    .sort();
}

/** Finds the config person behind a chat identity. */
export function personBy(config: Config, platform: 'slack' | 'lark' | 'email', id: string): string | undefined {
  return Object.entries(config.people).find(([, p]) => p[platform] === id)?.[0];
}
