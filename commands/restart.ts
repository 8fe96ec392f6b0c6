import { z } from 'zod';
import { defineCommand } from '../src/core/command-spec.ts';
import { name, workloadTail, workloadTailHelp } from './fields.ts';

export const restart = defineCommand({
  verb: 'restart',
  summary: 'Restart the pods of an app in an environment with a rolling restart.',
  usage: 'restart <app> in <env> [cluster=<name>] [--reason "<why>"] [--dry-run]',
  examples: ['/restart web in staging', '/restart worker in prod cluster=nj-prod --reason "stuck consumers"'],
  kind: 'job',
  produces: 'job restart',
  positional: [{ key: 'app' }],
  keywords: { in: 'env', on: 'cluster' },
  aliases: { environment: 'env', 'dry-run': 'dryrun' },
  flags: ['dryrun'],
  args: z.object({ app: name, ...workloadTail }),
  argHelp: {
    app: { expect: 'an app name such as web' },
    ...workloadTailHelp,
  },
});
