import type { z } from 'zod';

/**
 * What a chat verb is, as data: its grammar (positional slots, connector words such as "to"
 * and "in", key aliases, boolean flags), its zod-validated arguments and what it asks for.
 * The parser, `help`, the docs and the canonical renderer are all driven by these specs.
 */
export type CommandKind =
  | 'job' // changes a workload: goes through policy, maybe approval, then the queue
  | 'decision' // a decision on a paused batch upgrade: authorized like the upgrade itself
  | 'approval' // approve / reject a pending request
  | 'query' // reads state, changes nothing
  | 'setting' // changes the bot's own state: locks, freezes, subscriptions, silences
  | 'meta'; // help, whoami

export interface Slot {
  readonly key: string;
  /** Whether a word can fill this slot; a word that can't is tried on the next slot. */
  readonly accepts?: (word: string) => boolean;
}

export interface ArgHelp {
  /** What the value is, as a noun phrase: "an environment such as prod". */
  readonly expect: string;
}

export interface CommandSpec<Shape extends z.ZodRawShape = z.ZodRawShape> {
  readonly verb: string;
  readonly summary: string;
  readonly usage: string;
  readonly examples: readonly string[];
  readonly kind: CommandKind;
  /** What running it produces, e.g. "job deploy", "query status", "setting lock". */
  readonly produces: string;
  readonly positional: readonly Slot[];
  readonly keywords?: Readonly<Record<string, string>>;
  readonly aliases?: Readonly<Record<string, string>>;
  readonly flags?: readonly string[];
  /** Splits one typed word into several keys, e.g. "web@sha256:…" into app and ref. */
  readonly splitWord?: (word: string, slot: string) => Readonly<Record<string, string>> | undefined;
  readonly args: z.ZodObject<Shape>;
  readonly argHelp: Readonly<Record<keyof Shape & string, ArgHelp>>;
}

/** Helps TypeScript keep each spec's own argument types. */
export function defineCommand<Shape extends z.ZodRawShape>(spec: CommandSpec<Shape>): CommandSpec<Shape> {
  return spec;
}

export type AnySpec = CommandSpec<z.ZodRawShape>;
export type Registry = Readonly<Record<string, AnySpec>>;

/** A parsed command: the verb and its validated arguments, typed per verb. */
export type CommandOf<R extends Registry> = {
  [V in keyof R & string]: { readonly verb: V; readonly args: z.output<R[V]['args']> };
}[keyof R & string];
