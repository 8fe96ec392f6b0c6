import { z } from 'zod';
import { defineCommand } from '../src/core/command-spec.ts';
import { flag, id, reason } from './fields.ts';

/**
 * Decisions on a paused batch upgrade. They are authorized against the upgrade's own environment
 * and apps, like the upgrade itself; abort --rollback like a rollback (src/jobs/upgrade-decisions.ts).
 */
const opHelp = { op: { expect: 'the id of a paused upgrade, such as op-7f3a2c' }, reason: { expect: 'a reason in quotes' } } as const;

export const continueCmd = defineCommand({
  verb: 'continue',
  summary: 'Let a paused batch upgrade go on with its next batch.',
  usage: 'continue <operation id> [--reason "<why>"]',
  examples: ['/continue op-7f3a2c'],
  kind: 'decision',
  produces: 'decision continue',
  positional: [{ key: 'op' }],
  args: z.object({ op: id, reason: reason.optional() }),
  argHelp: opHelp,
});

export const retry = defineCommand({
  verb: 'retry',
  summary: 'Retry the failed batch of a paused upgrade (after you fixed the cause).',
  usage: 'retry <operation id> [--reason "<why>"]',
  examples: ['/retry op-7f3a2c --reason "registry fixed"'],
  kind: 'decision',
  produces: 'decision retry',
  positional: [{ key: 'op' }],
  args: z.object({ op: id, reason: reason.optional() }),
  argHelp: opHelp,
});

export const abort = defineCommand({
  verb: 'abort',
  summary: 'Stop a paused batch upgrade; with --rollback, also roll back every batch it finished (allowed as a rollback: also in a freeze).',
  usage: 'abort <operation id> [--rollback] [--reason "<why>"]',
  examples: ['/abort op-7f3a2c', '/abort op-7f3a2c --rollback --reason "errors in nj"'],
  kind: 'decision',
  produces: 'decision abort',
  positional: [{ key: 'op' }],
  aliases: { 'roll-back': 'rollback' },
  flags: ['rollback'],
  args: z.object({ op: id, rollback: flag.optional(), reason: reason.optional() }),
  argHelp: { ...opHelp, rollback: { expect: 'a flag: also roll back the finished batches' } },
});
