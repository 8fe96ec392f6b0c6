import type { CommandOf } from '../src/core/command-spec.ts';
import { approve, cancel, reject } from './approvals.ts';
import { autoscale } from './autoscale.ts';
import { abort, continueCmd, retry } from './decisions.ts';
import { deploy } from './deploy.ts';
import { help, whoami } from './meta.ts';
import { promote } from './promote.ts';
import { audit, diagnose, history, jobs, revisions, status } from './queries.ts';
import { restart } from './restart.ts';
import { rollback } from './rollback.ts';
import { scale } from './scale.ts';
import { ack, freeze, lock, silence, subscribe, subscriptions, unlock, unsubscribe } from './settings.ts';
import { upgrade } from './upgrade.ts';

/** Every chat verb. Adding one here is all it takes for the parser, help and docs to know it. */
export const commands = {
  deploy,
  promote,
  scale,
  autoscale,
  rollback,
  restart,
  upgrade,
  continue: continueCmd,
  retry,
  abort,
  status,
  history,
  revisions,
  audit,
  diagnose,
  jobs,
  cancel,
  approve,
  reject,
  lock,
  unlock,
  freeze,
  subscribe,
  unsubscribe,
  subscriptions,
  silence,
  ack,
  help,
  whoami,
} as const;

export type Commands = typeof commands;
export type Verb = keyof Commands;
export type Command = CommandOf<Commands>;
export type CommandFor<V extends Verb> = Extract<Command, { verb: V }>;
