import { commands } from '../../commands/index.ts';
import { policyVerb } from './policy.ts';

/**
 * What the command modules say about verbs as a whole, for the parts that must not import the
 * command modules themselves (the config checks): which verbs access rules may name (not help,
 * approvals or upgrade decisions, which are authorized otherwise) and which are settings (they
 * change the bot's own state, once per delivery).
 */
export const POLICY_VERBS: readonly string[] = Object.entries(commands)
  // Not promote either: it is authorized as the deploy it is.
  .filter(([verb, spec]) => spec.kind !== 'meta' && spec.kind !== 'approval' && spec.kind !== 'decision' && policyVerb(verb) === verb)
  .map(([verb]) => verb);

export const SETTING_VERBS: ReadonlySet<string> = new Set(Object.entries(commands).filter(([, spec]) => spec.kind === 'setting').map(([verb]) => verb));
