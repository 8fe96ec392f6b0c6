import { z } from 'zod';
import { defineCommand } from '../src/core/command-spec.ts';
import { name, rollbackTarget, workloadTail, workloadTailHelp } from './fields.ts';

export const rollback = defineCommand({
  verb: 'rollback',
  summary:
    'Roll an app back: to the last revision seen healthy on each cluster, or to a named revision or tag (resolved per cluster when you ask).',
  usage: 'rollback <app> in <env> [to <revision | tag>] [cluster=<name>] [--reason "<why>"] [--dry-run]',
  examples: ['/rollback web in prod', '/rollback web in prod to 12', '/rollback api in staging to v2.3.0 cluster=gz-staging'],
  kind: 'job',
  produces: 'job rollback',
  positional: [{ key: 'app' }],
  keywords: { in: 'env', to: 'target', on: 'cluster' },
  aliases: { environment: 'env', revision: 'target', to: 'target', 'dry-run': 'dryrun' },
  flags: ['dryrun'],
  args: z.object({
    app: name,
    target: rollbackTarget.optional(),
    ...workloadTail,
  }),
  argHelp: {
    app: { expect: 'an app name such as web' },
    target: { expect: 'a revision number such as 12 or a tag such as v1.4.1' },
    ...workloadTailHelp,
  },
});
