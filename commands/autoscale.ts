import { z } from 'zod';
import { MAX_STABILIZATION_SECONDS } from '../src/core/autoscale.ts';
import { defineCommand } from '../src/core/command-spec.ts';
import { count, duration, metricName, name, targetValue, usageTarget, usageTargetHelp, pairMetricAndTarget, word, workloadTail, workloadTailHelp } from './fields.ts';

const OFF = 'off';
const SETTINGS = ['min', 'max', 'cpu', 'memory', 'metric', 'target', 'scaledown'] as const;

export const autoscale = defineCommand({
  verb: 'autoscale',
  summary: "Create, change or remove an app's HorizontalPodAutoscaler on each cluster of an environment.",
  usage: 'autoscale <app> in <env> min=<n> max=<n> [cpu=<50%|250m>] [memory=<80%|512Mi>] [metric=<name> target=<value>] [scaledown=<30s>] [cluster=<name>] [--reason "<why>"] [--dry-run] | autoscale <app> in <env> off',
  examples: ['/autoscale web in staging min=2 max=10 cpu=50%', '/autoscale web in staging min=2 max=10 cpu=50% scaledown=30s', '/autoscale web in staging off'],
  kind: 'job',
  produces: 'job autoscale',
  positional: [{ key: 'app' }, { key: 'off', accepts: (w) => w.toLowerCase() === OFF }],
  keywords: { in: 'env', on: 'cluster' },
  aliases: { environment: 'env', 'dry-run': 'dryrun', mem: 'memory', 'scale-down': 'scaledown', minreplicas: 'min', maxreplicas: 'max' },
  flags: ['dryrun', 'off'],
  args: z
    .object({
      app: name,
      off: word(OFF).optional(),
      min: count(10000).optional(),
      max: count(10000).optional(),
      cpu: usageTarget.optional(),
      memory: usageTarget.optional(),
      metric: metricName.optional(),
      target: targetValue.optional(),
      scaledown: duration.optional(),
      ...workloadTail,
    })
    .superRefine((a, ctx) => {
      if (a.off === true) {
        for (const k of SETTINGS) if (a[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: `off removes the autoscaler, so ${k}= has no place beside it` });
        return;
      }
      if (a.min === undefined) ctx.addIssue({ code: 'custom', path: ['min'], message: 'the fewest replicas' });
      if (a.max === undefined) ctx.addIssue({ code: 'custom', path: ['max'], message: 'the most replicas' });
      if (a.min !== undefined && a.min < 1) ctx.addIssue({ code: 'custom', path: ['min'], message: 'an autoscaler keeps at least 1 replica' });
      if (a.min !== undefined && a.max !== undefined && a.max < a.min) ctx.addIssue({ code: 'custom', path: ['max'], message: `max is below min=${a.min}` });
      if (a.cpu === undefined && a.memory === undefined && a.metric === undefined) {
        ctx.addIssue({ code: 'custom', path: [], message: 'say what to scale on: cpu=50%, memory=80% or metric=<name> target=<value>' });
      }
      pairMetricAndTarget(a, ctx);
      if (a.scaledown !== undefined && a.scaledown.seconds > MAX_STABILIZATION_SECONDS) ctx.addIssue({ code: 'custom', path: ['scaledown'], message: 'at most 1h' });
    }),
  argHelp: {
    app: { expect: 'an app name such as web' },
    off: { expect: 'the word off: remove the autoscaler (the replica count it last set stays)' },
    min: { expect: 'the fewest replicas, 1 or more' },
    max: { expect: 'the most replicas, at least min and at most the app’s maxReplicas' },
    ...usageTargetHelp,
    metric: { expect: 'a per-pod custom metric name (needs a custom metrics adapter in the cluster)' },
    target: { expect: 'the average value per pod that metric= should reach, such as 100' },
    scaledown: { expect: 'how long the autoscaler waits before scaling down, such as 30s (default 5m)' },
    ...workloadTailHelp,
  },
});
