import { z } from 'zod';
import { defineCommand } from '../src/core/command-spec.ts';
import { flag, name, reason, rollbackTarget } from './fields.ts';

export const rollback = defineCommand({
  verb: 'rollback',
  summary:
    'Roll an app back: to the revision before the current one on each cluster, or to a named revision or tag (resolved per cluster when you ask).',
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
    env: name,
    target: rollbackTarget.optional(),
    cluster: name.optional(),
    reason: reason.optional(),
    dryrun: flag.optional(),
  }),
  argHelp: {
    app: { expect: 'an app name such as web' },
    env: { expect: 'an environment such as prod' },
    target: { expect: 'a revision number such as 12 or a tag such as v1.4.1' },
    cluster: { expect: 'one cluster of that environment' },
    reason: { expect: 'a reason in quotes' },
    dryrun: { expect: 'a flag: show the plan without running it' },
  },
});
