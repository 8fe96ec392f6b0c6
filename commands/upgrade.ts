import { z } from 'zod';
import { defineCommand } from '../src/core/command-spec.ts';
import { batches, count, flag, fullImage, gate, name, nameList, reason } from './fields.ts';

export const upgrade = defineCommand({
  verb: 'upgrade',
  summary:
    "Batch upgrade: set a new image on every container of the chosen apps whose image repository matches it, batch by batch, with a gate between batches.",
  usage:
    'upgrade <image> apps=<a,b,…> env=<env> batches=<regions | clusters | app+app,… | 10%,50%,100%> [gate=manual|first|auto] [concurrency=<n>] [--reason "<why>"] [--dry-run]',
  examples: [
    '/upgrade registry.example.com/base:2.1 apps=web,api,worker env=prod batches=gz,nj,tj,hk gate=manual',
    '/upgrade registry.example.com/base:2.1 apps=web,api env=prod batches=10%,50%,100% gate=auto',
  ],
  kind: 'job',
  produces: 'job upgrade',
  positional: [{ key: 'image' }],
  keywords: { in: 'env', to: 'env' },
  aliases: { app: 'apps', environment: 'env', batch: 'batches', 'dry-run': 'dryrun' },
  flags: ['dryrun'],
  args: z.object({
    image: fullImage,
    apps: nameList,
    env: name,
    batches,
    gate: gate.default('manual'),
    concurrency: count(100).optional(),
    reason: reason.optional(),
    dryrun: flag.optional(),
  }),
  argHelp: {
    image: { expect: 'a full image reference such as registry.example.com/base:2.1' },
    apps: { expect: 'a list of apps such as web,api,worker' },
    env: { expect: 'an environment such as prod' },
    batches: { expect: 'batches such as gz,nj (regions or clusters), web+api,worker (apps) or 10%,50%,100%' },
    gate: { expect: 'manual (decide after each batch), first (after the first only) or auto' },
    concurrency: { expect: 'how many workloads to update at once, such as 5' },
    reason: { expect: 'a reason in quotes' },
    dryrun: { expect: 'a flag: show the plan without running it' },
  },
});
