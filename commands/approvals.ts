import { z } from 'zod';
import { defineCommand } from '../src/core/command-spec.ts';
import { id, reason } from './fields.ts';

/** Typed fallbacks for the Approve / Reject buttons. */
export const approve = defineCommand({
  verb: 'approve',
  summary: 'Approve a pending request (the same as its Approve button).',
  usage: 'approve <request id>',
  examples: ['/approve apr-51c9e0'],
  kind: 'approval',
  produces: 'approval approve',
  positional: [{ key: 'request' }],
  args: z.object({ request: id, reason: reason.optional() }),
  argHelp: { request: { expect: 'the id of a pending request, such as apr-51c9e0' }, reason: { expect: 'a comment in quotes' } },
});

export const reject = defineCommand({
  verb: 'reject',
  summary: 'Reject a pending request (the same as its Reject button).',
  usage: 'reject <request id> [--reason "<why>"]',
  examples: ['/reject apr-51c9e0 --reason "wait until the incident is closed"'],
  kind: 'approval',
  produces: 'approval reject',
  positional: [{ key: 'request' }],
  args: z.object({ request: id, reason: reason.optional() }),
  argHelp: { request: { expect: 'the id of a pending request, such as apr-51c9e0' }, reason: { expect: 'a reason in quotes' } },
});

export const cancel = defineCommand({
  verb: 'cancel',
  summary: 'Cancel your own pending request or a queued operation that has not started.',
  usage: 'cancel <request or operation id> [--reason "<why>"]',
  examples: ['/cancel op-7f3a2c'],
  kind: 'approval',
  produces: 'approval cancel',
  positional: [{ key: 'id' }],
  args: z.object({ id, reason: reason.optional() }),
  argHelp: { id: { expect: 'a request or operation id' }, reason: { expect: 'a reason in quotes' } },
});
