import { z } from 'zod';
import { defineCommand } from '../src/core/command-spec.ts';
import { deployRef, duration, gate, name, podBatches, workloadTail, workloadTailHelp } from './fields.ts';

/** `web@sha256:…` and `web:v1.4.2` typed as one word name both the app and what to deploy. */
function splitAppRef(word: string, slot: string): Record<string, string> | undefined {
  if (slot !== 'app') return undefined;
  const at = word.indexOf('@');
  if (at > 0) return { app: word.slice(0, at), ref: word.slice(at) };
  const colon = word.indexOf(':');
  if (colon > 0 && !/[/.]/.test(word.slice(0, colon))) return { app: word.slice(0, colon), ref: word.slice(colon + 1) };
  return undefined;
}

export const deploy = defineCommand({
  verb: 'deploy',
  summary: "Roll an app out to a new version in an environment (every cluster of it unless cluster= narrows it).",
  usage: 'deploy <app> <tag | @digest | full image> to <env> [cluster=<name>] [pods=<1,50%,100% | #9,#8-5,#4-0> [gate=manual|first|auto] [bake=<duration>]] [--reason "<why>"] [--dry-run]',
  examples: [
    '/deploy web v1.4.2 to prod',
    '/deploy web image=registry.example.com/web:1.4.2 env=prod --reason "hotfix for login"',
    '/deploy db v2.0.0 to prod pods=1,50%,100% gate=manual',
    '/deploy db v2.0.0 to prod pods=#9,#8-5,#4-0 gate=auto bake=5m',
    '/deploy web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef to staging',
  ],
  kind: 'job',
  produces: 'job deploy',
  positional: [{ key: 'app' }, { key: 'ref' }],
  keywords: { to: 'env', in: 'env', on: 'cluster' },
  aliases: { pod: 'pods', image: 'ref', tag: 'ref', version: 'ref', environment: 'env', 'dry-run': 'dryrun', dry_run: 'dryrun' },
  flags: ['dryrun'],
  splitWord: splitAppRef,
  args: z.object({
    app: name,
    ref: deployRef,
    pods: podBatches.optional(),
    gate: gate.optional(),
    bake: duration.optional(),
    ...workloadTail,
  }),
  argHelp: {
    app: { expect: 'an app name such as web' },
    ref: { expect: 'a version such as v1.4.2, a digest @sha256:…, or a full image reference' },
    pods: { expect: 'pod batches of a StatefulSet: cumulative counts or shares such as 1,50%,100%, or ordinal ranges downward such as #9,#8-5,#4-0' },
    gate: { expect: 'with pods=: manual (decide after each batch), first (after the first only) or auto' },
    bake: { expect: 'with pods=: how long a healthy batch must stay healthy before it goes on by itself, such as 5m' },
    ...workloadTailHelp,
  },
});
