import { commands, type Command } from '../../commands/index.ts';
import type { Config } from '../config/schema.ts';
import type { ChatError } from './errors.ts';
import type { Message } from './message.ts';
import { decisionMessage, deferredMessage, helpMessage, usageErrorMessage, whoamiMessage } from './messages.ts';
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
  /**
   * A decision on something that already exists (/continue, /retry, /abort on an operation;
   * /ack, /silence <id> on an alert group): its environment and apps are those of the target,
   * which only the service can look up, so policy is asked there, exactly as for its buttons.
   */
  | { readonly kind: 'deferred'; readonly command: DeferredCommand; readonly plan: Plan; readonly message: Message }
  | { readonly kind: 'decided'; readonly command: Command; readonly plan: Plan; readonly decision: Decision; readonly message: Message };

export type DeferredCommand = Extract<Command, { verb: 'continue' | 'retry' | 'abort' | 'ack' | 'silence' }>;

/** Commands whose policy is asked against their target: see the `deferred` outcome. */
export function deferredCommand(command: Command): DeferredCommand | undefined {
  switch (command.verb) {
    case 'continue':
    case 'retry':
    case 'abort':
    case 'ack':
      return command;
    case 'silence':
      // By labels (env=, app=) it names its own scope; by alert id, the group's.
      return command.args.alert === undefined ? undefined : command;
    default:
      return undefined;
  }
}

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
  const deferred = deferredCommand(command);
  if (deferred !== undefined) return { kind: 'deferred', command: deferred, plan, message: deferredMessage(deferred) };
  const decision = decide({ actor: ctx.actor, verb: command.verb, env: plan.env, apps: plan.apps }, ctx);
  return { kind: 'decided', command, plan, decision, message: decisionMessage(plan, decision, ctx.actor ?? 'an unknown user') };
}
