import { z } from 'zod';
import { defineCommand } from '../src/core/command-spec.ts';
import { name, promql, replicas, targetValue, usageTarget, usageTargetHelp, pairMetricAndTarget, word, workloadTail, workloadTailHelp } from './fields.ts';

const SUGGEST = 'suggest';
const SUGGEST_ONLY = ['cpu', 'memory', 'metric', 'target'] as const;

export const scale = defineCommand({
  verb: 'scale',
  summary: "Set an app's replica count in an environment, or suggest one from its pods' metrics.",
  usage: 'scale <app> (<replicas> | suggest cpu=<50%> | suggest memory=<80%|512Mi> | suggest metric="<PromQL>" target=<value>) in <env> [cluster=<name>] [--reason "<why>"] [--dry-run]',
  examples: ['/scale web 5 in prod', '/scale web replicas=5 env=prod cluster=gz-prod', '/scale web in staging suggest cpu=50%', '/scale web in staging suggest metric="sum by (pod) (rate(http_requests_total[1m]))" target=100'],
  kind: 'job',
  produces: 'job scale',
  positional: [{ key: 'app' }, { key: 'replicas', accepts: (w) => w.toLowerCase() !== SUGGEST }, { key: 'suggest', accepts: (w) => w.toLowerCase() === SUGGEST }],
  keywords: { in: 'env', to: 'replicas', on: 'cluster' },
  aliases: { environment: 'env', 'dry-run': 'dryrun', mem: 'memory', query: 'metric' },
  flags: ['dryrun', 'suggest'],
  args: z
    .object({
      app: name,
      replicas: replicas.optional(),
      suggest: word(SUGGEST).optional(),
      cpu: usageTarget.optional(),
      memory: usageTarget.optional(),
      metric: promql.optional(),
      target: targetValue.optional(),
      ...workloadTail,
    })
    .superRefine((a, ctx) => {
      if (a.suggest === undefined) {
        if (a.replicas === undefined) ctx.addIssue({ code: 'custom', path: ['replicas'], message: 'a replica count, or suggest' });
        for (const k of SUGGEST_ONLY) if (a[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: `${k}= goes with suggest: /scale ${a.app} in ${a.env} suggest ${k}=…` });
        return;
      }
      if (a.replicas !== undefined) ctx.addIssue({ code: 'custom', path: ['replicas'], message: 'give a replica count or ask for a suggestion, not both' });
      const given = (['cpu', 'memory', 'metric'] as const).filter((k) => a[k] !== undefined);
      if (given.length !== 1) ctx.addIssue({ code: 'custom', path: [], message: 'suggest needs one of cpu=50%, memory=80% (or 512Mi) or metric="<PromQL>" target=<value>' });
      pairMetricAndTarget(a, ctx);
    }),
  argHelp: {
    app: { expect: 'an app name such as web' },
    replicas: { expect: 'a replica count such as 5' },
    suggest: { expect: 'the word suggest: compute the replica count from a metric instead' },
    ...usageTargetHelp,
    metric: { expect: 'a PromQL query giving one value per pod (a pod label), in quotes' },
    target: { expect: 'the value per pod that metric= should reach, such as 100' },
    ...workloadTailHelp,
  },
});
