import { z } from 'zod';
import { defineCommand } from '../src/core/command-spec.ts';
import { name, workloadTail, workloadTailHelp } from './fields.ts';

export const promote = defineCommand({
  verb: 'promote',
  summary:
    'Deploy exactly what an app runs in one environment (its image digest) to another; authorized, approved and frozen as a deploy to the target.',
  usage: 'promote <app> from <env> to <env> [cluster=<name>] [--reason "<why>"] [--dry-run]',
  examples: ['/promote web from staging to prod', '/promote web from staging to prod cluster=gz --reason "release 1.5"'],
  kind: 'job',
  produces: 'job deploy',
  positional: [{ key: 'app' }],
  keywords: { from: 'from', to: 'env', on: 'cluster' },
  aliases: { source: 'from', target: 'env', environment: 'env', 'dry-run': 'dryrun' },
  flags: ['dryrun'],
  args: z.object({
    app: name,
    from: name,
    ...workloadTail,
  }),
  argHelp: {
    app: { expect: 'an app name such as web' },
    from: { expect: 'the environment whose image goes on, such as staging' },
    ...workloadTailHelp,
    cluster: { expect: 'one cluster of the target environment, such as gz' },
  },
});
