import { z } from 'zod';
import { defineCommand } from '../src/core/command-spec.ts';
import { name, replicas, workloadTail, workloadTailHelp } from './fields.ts';

export const scale = defineCommand({
  verb: 'scale',
  summary: 'Set the replica count of an app in an environment (Deployments and StatefulSets).',
  usage: 'scale <app> <replicas> in <env> [cluster=<name>] [--reason "<why>"] [--dry-run]',
  examples: ['/scale web 5 in prod', '/scale web replicas=5 env=prod cluster=gz-prod'],
  kind: 'job',
  produces: 'job scale',
  positional: [{ key: 'app' }, { key: 'replicas' }],
  keywords: { in: 'env', to: 'replicas', on: 'cluster' },
  aliases: { environment: 'env', 'dry-run': 'dryrun' },
  flags: ['dryrun'],
  args: z.object({
    app: name,
    replicas,
    ...workloadTail,
  }),
  argHelp: {
    app: { expect: 'an app name such as web' },
    replicas: { expect: 'a replica count such as 5' },
    ...workloadTailHelp,
  },
});
