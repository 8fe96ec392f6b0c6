import { z } from 'zod';
import { defineCommand } from '../src/core/command-spec.ts';
import { count, id, name } from './fields.ts';

const h = {
  app: { expect: 'an app name such as web' },
  env: { expect: 'an environment such as prod' },
  cluster: { expect: 'a cluster name' },
  limit: { expect: 'how many to show, such as 20' },
} as const;

export const status = defineCommand({
  verb: 'status',
  summary: 'Show what runs where: image, replicas and rollout state per cluster, plus locks and freezes.',
  usage: 'status [<app>] [in <env>] [cluster=<name>]',
  examples: ['/status web in prod', '/status in staging'],
  kind: 'query',
  produces: 'query status',
  positional: [{ key: 'app' }],
  keywords: { in: 'env', on: 'cluster' },
  aliases: { environment: 'env' },
  args: z.object({ app: name.optional(), env: name.optional(), cluster: name.optional() }),
  argHelp: { app: h.app, env: h.env, cluster: h.cluster },
});

export const history = defineCommand({
  verb: 'history',
  summary: 'List the operations the bot ran, newest first.',
  usage: 'history [<app>] [in <env>] [limit=<n>]',
  examples: ['/history web in prod', '/history limit=50'],
  kind: 'query',
  produces: 'query history',
  positional: [{ key: 'app' }],
  keywords: { in: 'env' },
  aliases: { environment: 'env' },
  args: z.object({ app: name.optional(), env: name.optional(), limit: count(500).optional() }),
  argHelp: { app: h.app, env: h.env, limit: h.limit },
});

export const revisions = defineCommand({
  verb: 'revisions',
  summary: "List an app's Kubernetes revisions per cluster: number, image, time and change cause.",
  usage: 'revisions <app> in <env> [cluster=<name>]',
  examples: ['/revisions web in prod'],
  kind: 'query',
  produces: 'query revisions',
  positional: [{ key: 'app' }],
  keywords: { in: 'env', on: 'cluster' },
  aliases: { environment: 'env' },
  args: z.object({ app: name, env: name, cluster: name.optional() }),
  argHelp: { app: h.app, env: h.env, cluster: h.cluster },
});

export const diagnose = defineCommand({
  verb: 'diagnose',
  summary: 'Explain why an app is unhealthy: pod states with reasons and recent Warning events.',
  usage: 'diagnose <app> in <env> [cluster=<name>]',
  examples: ['/diagnose web in prod'],
  kind: 'query',
  produces: 'query diagnose',
  positional: [{ key: 'app' }],
  keywords: { in: 'env', on: 'cluster' },
  aliases: { environment: 'env' },
  args: z.object({ app: name, env: name, cluster: name.optional() }),
  argHelp: { app: h.app, env: h.env, cluster: h.cluster },
});

export const audit = defineCommand({
  verb: 'audit',
  summary: 'Show the audit trail: who asked, who approved, what ran and what happened.',
  usage: 'audit [<app>] [in <env>] [by=<person>] [op=<operation id>] [limit=<n>]',
  examples: ['/audit web in prod', '/audit by=alice limit=20', '/audit op=op-7f3a2c'],
  kind: 'query',
  produces: 'query audit',
  positional: [{ key: 'app' }],
  keywords: { in: 'env' },
  aliases: { environment: 'env', person: 'by' },
  args: z.object({ app: name.optional(), env: name.optional(), by: name.optional(), op: id.optional(), limit: count(500).optional() }),
  argHelp: { app: h.app, env: h.env, limit: h.limit, by: { expect: 'a person as named in the config' }, op: { expect: 'an operation id' } },
});

export const jobs = defineCommand({
  verb: 'jobs',
  summary: 'List operations that are queued, running, paused or waiting for approval.',
  usage: 'jobs [state=running|waiting|paused|all] [in <env>]',
  examples: ['/jobs', '/jobs state=paused'],
  kind: 'query',
  produces: 'query jobs',
  positional: [],
  keywords: { in: 'env' },
  aliases: { environment: 'env' },
  args: z.object({ state: z.enum(['running', 'waiting', 'paused', 'all']).optional(), env: name.optional() }),
  argHelp: { state: { expect: 'running, waiting, paused or all' }, env: h.env },
});
