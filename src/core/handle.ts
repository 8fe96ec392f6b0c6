import { commands, type Command } from '../../commands/index.ts';
import type { Config } from '../config/schema.ts';
import type { ChatError } from './errors.ts';
import type { Message } from './message.ts';
import { decisionMessage, helpMessage, usageErrorMessage, whoamiMessage } from './messages.ts';
import { parseCommand, type ParseOptions } from './parse.ts';
import { accessOf, decide, groupsOf, type AdhocFreeze, type Decision, type Lock } from './policy.ts';
import { resolve, type Plan } from './resolve.ts';

/**
 * The whole decision for one line of chat, with no I/O: parse, resolve against config, ask
 * policy, and say what chat would show. Every surface (Slack, Lark, console, CLI) calls this
 * and then acts on the outcome.
 */
export type Outcome =
  | { readonly kind: 'error'; readonly error: ChatError; readonly message: Message }
  | { readonly kind: 'answer'; readonly command: Command; readonly message: Message }
  /** approve / reject / cancel: decided by the approval itself, not by access rules. */
  | { readonly kind: 'approval'; readonly command: Extract<Command, { verb: 'approve' | 'reject' | 'cancel' }> }
  | { readonly kind: 'decided'; readonly command: Command; readonly plan: Plan; readonly decision: Decision; readonly message: Message };

export interface HandleContext {
  readonly config: Config;
  /** The person as named in config, or undefined for an unknown chat user. */
  readonly actor: string | undefined;
  readonly now: Date;
  readonly locks: readonly Lock[];
  readonly freezes: readonly AdhocFreeze[];
  readonly parse?: ParseOptions;
}

export function handleText(text: string, ctx: HandleContext): Outcome {
  const parsed = parseCommand(text, commands, ctx.parse);
  if (!parsed.ok) return { kind: 'error', error: parsed.error, message: usageErrorMessage(parsed.error) };
  const command = parsed.value;
  if (command.verb === 'help') return { kind: 'answer', command, message: helpMessage(commands, command.args.topic) };
  if (command.verb === 'whoami') {
    const who = ctx.actor !== undefined && Object.hasOwn(ctx.config.people, ctx.actor) ? ctx.actor : undefined;
    return {
      kind: 'answer',
      command,
      message: whoamiMessage(who, who === undefined ? [] : groupsOf(ctx.config, who), who === undefined ? [] : accessOf(ctx.config, who)),
    };
  }
  if (command.verb === 'approve' || command.verb === 'reject' || command.verb === 'cancel') return { kind: 'approval', command };
  const resolved = resolve(ctx.config, command);
  if (!resolved.ok) return { kind: 'error', error: resolved.error, message: usageErrorMessage(resolved.error) };
  const plan = resolved.value;
  const decision = decide({ actor: ctx.actor, verb: command.verb, env: plan.env, apps: plan.apps }, ctx);
  return { kind: 'decided', command, plan, decision, message: decisionMessage(plan, decision, ctx.actor ?? 'an unknown user') };
}
