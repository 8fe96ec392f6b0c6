#!/usr/bin/env node
import { Command as Cli } from 'commander';
import { formatProblems, loadConfig } from '../config/load.ts';
import { defaultConfigPath } from '../config/paths.ts';
import { redactUrls } from '../core/redact.ts';
import { actorFrom, CliError, configFrom, EXIT, prefixFromEnv, redisUrlFrom } from './setup.ts';

/**
 * The `chatops` command line: the same grammar, policy and messages as chat. Outside local
 * mode it always acts as the configured operator, so nobody can use it to approve their own
 * request by claiming to be someone else.
 *
 * Each subcommand imports what it needs when it runs: `chatops serve` (a long-running API
 * process) then never loads the Kubernetes client, the worker or the RBAC tools, which keeps
 * its idle memory down.
 */
/** Runs a command body, turning a CliError into its message and exit code. */
async function guarded(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (!(e instanceof CliError)) {
      // Whatever went wrong, its text names no credentials (a URL's user:password@).
      process.stderr.write(`chatops: ${redactUrls(e instanceof Error ? (e.stack ?? e.message) : String(e))}\n`);
      process.exitCode = 1; // as an uncaught error's
      return;
    }
    process.stderr.write(redactUrls(e.message) + '\n');
    process.exitCode = e.exitCode;
  }
}

// Output piped into `head` and closed early is not an error worth a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const program = new Cli('chatops').description('Chat-ops bot for Kubernetes: the command line').showHelpAfterError();

program
  .command('run')
  .description('Run one command as chat would, e.g. chatops run --as alice "/deploy web v1.4.2 to prod"')
  .argument('<text...>', 'the command, as typed in chat')
  .option('--as <person>', 'act as this person (local mode only)')
  .option('-c, --config <file>', 'config file (default: $CHATOPS_CONFIG, else the embedded local defaults)')
  .option('--wait', 'follow the operation until it ends')
  .option('--delivery <id>', 'a delivery id: the same id twice is one request')
  .action(async (words: string[], opts: { as?: string; config?: string; wait?: boolean; delivery?: string }) => {
    await guarded(async () => {
      const { config } = configFrom(opts.config);
      const actor = actorFrom(config, opts.as);
      const { runCommand } = await import('./run-command.ts');
      process.exitCode = await runCommand(config, actor, words.join(' '), { ...(opts.wait === true ? { wait: true } : {}), ...(opts.delivery === undefined ? {} : { delivery: opts.delivery }) }, (l) => process.stdout.write(redactUrls(l) + '\n'));
    });
  });

program
  .command('worker')
  .description('Run queued operations (needs REDIS_URL or redis.url in the config)')
  .option('-c, --config <file>', 'config file (default: $CHATOPS_CONFIG, else the embedded local defaults)')
  .option('--concurrency <n>', 'operations at once', (v) => Number.parseInt(v, 10))
  .action(async (opts: { config?: string; concurrency?: number }) => {
    await guarded(async () => {
      const { config } = configFrom(opts.config);
      const url = redisUrlFrom(config);
      if (url === undefined) throw new CliError('The worker needs Redis: set REDIS_URL or redis.url in the config.', EXIT.usage);
      const { workerCommand } = await import('./worker-command.ts');
      await workerCommand(config, url, opts.concurrency === undefined ? {} : { concurrency: opts.concurrency }, (l) => process.stdout.write(`[worker] ${redactUrls(l)}\n`));
    });
  });

program
  .command('serve')
  .description('Run the API role: the HTTP server (chat webhooks, /healthz, /readyz, /metrics), the notifier and the outbox; operations run in `chatops worker` (needs REDIS_URL or redis.url)')
  .option('-c, --config <file>', 'config file (default: $CHATOPS_CONFIG, else the embedded local defaults)')
  .option('--host <address>', 'listen on this address (default: server.host in the config)')
  .option('--port <n>', 'listen on this port (default: server.port in the config; 0 picks a free one)', (v) => Number(v))
  .action(async (opts: { config?: string; host?: string; port?: number }) => {
    await guarded(async () => {
      if (opts.port !== undefined && !(Number.isInteger(opts.port) && opts.port >= 0 && opts.port <= 65535)) throw new CliError('--port: a number from 0 to 65535', EXIT.usage);
      const { config } = configFrom(opts.config);
      const url = redisUrlFrom(config);
      if (url === undefined) throw new CliError('The API role needs Redis: set REDIS_URL or redis.url in the config.', EXIT.usage);
      const [{ serveCommand }, { createLog }] = await Promise.all([import('./serve-command.ts'), import('../log.ts')]);
      await serveCommand(config, url, { host: opts.host, port: opts.port }, createLog('chatops-api'));
    });
  });

const configCmd = program.command('config').description('Work with the config file');
configCmd
  .command('check')
  .description('Validate a config file and print every problem with its path')
  .argument('[file]', 'config file (default: $CHATOPS_CONFIG, else the embedded local defaults)')
  .action((fileArg: string | undefined) => {
    const file = fileArg ?? process.env['CHATOPS_CONFIG'] ?? defaultConfigPath();
    const loaded = loadConfig(file);
    if (!loaded.ok) {
      process.stderr.write(`${file}: ${loaded.error.length} problem(s)\n${formatProblems(loaded.error)}\n`);
      process.exitCode = EXIT.config;
      return;
    }
    const c = loaded.value;
    process.stdout.write(
      `${file}: OK (${c.mode} mode; ${Object.keys(c.people).length} people, ${Object.keys(c.clusters).length} clusters, ${Object.keys(c.environments).length} environments, ${Object.keys(c.apps).length} apps, ${c.access.length} access rules)\n`,
    );
  });

program
  .command('rbac')
  .description("Print (or apply) the bot's least-privilege Roles and RoleBindings, generated from the config")
  .option('-c, --config <file>', 'config file (default: $CHATOPS_CONFIG, else the embedded local defaults)')
  .option('--configmap <file>', 'read the config from this ConfigMap manifest (data."config.yaml"), e.g. deploy/kubernetes/20-configmap.yaml; only clusters, environments, apps and kubernetes are read')
  .option('--cluster <name>', 'only this cluster')
  .option('--apply', 'create or update them, with an admin identity')
  .option('--admin-kubeconfig <file>', "kubeconfig holding the admin contexts (default: each cluster's own)")
  .option('--admin-context <pattern>', 'admin context per cluster; {context} and {cluster} are filled in', '{context}-admin')
  .option('--create-namespaces', 'also create missing namespaces (local clusters and tests)')
  .action(async (opts: { config?: string; configmap?: string; cluster?: string; apply?: boolean; adminKubeconfig?: string; adminContext: string; createNamespaces?: boolean }) => {
    if (opts.config !== undefined && opts.configmap !== undefined) {
      process.stderr.write('Give --config or --configmap, not both.\n');
      process.exitCode = EXIT.usage;
      return;
    }
    const file = opts.configmap ?? opts.config ?? process.env['CHATOPS_CONFIG'] ?? defaultConfigPath();
    const { applyBotRbac, generatedHeader, rbacConfigFromConfigMap, rbacYaml } = await import('./rbac-command.ts');
    const loaded = opts.configmap === undefined ? loadConfig(file) : rbacConfigFromConfigMap(file);
    if (!loaded.ok) {
      process.stderr.write(`Config ${file} has problems:\n${formatProblems(loaded.error)}\n`);
      process.exitCode = EXIT.config;
      return;
    }
    if (opts.cluster !== undefined && !Object.hasOwn(loaded.value.clusters, opts.cluster)) {
      process.stderr.write(`--cluster ${opts.cluster}: no such cluster (known: ${Object.keys(loaded.value.clusters).join(', ')}).\n`);
      process.exitCode = EXIT.usage;
      return;
    }
    if (opts.apply !== true) {
      const header = opts.configmap === undefined || opts.cluster === undefined ? '' : generatedHeader(`node src/cli/chatops.ts rbac --configmap ${opts.configmap} --cluster ${opts.cluster}`, opts.cluster);
      process.stdout.write(header + rbacYaml(loaded.value, opts.cluster));
      return;
    }
    const ok = await applyBotRbac(loaded.value, { ...opts, apply: true }, (l) => process.stdout.write(l + '\n'));
    process.exitCode = ok ? EXIT.ok : EXIT.denied;
  });

program
  .command('audit-export')
  .description('Write the audit log as JSON lines to stdout, oldest first (after --after <id> for an incremental export)')
  .option('-c, --config <file>', 'config file (default: $CHATOPS_CONFIG, else the embedded local defaults)')
  .option('--after <id>', 'only entries after this stream id (the last id of the previous export)')
  .action(async (opts: { config?: string; after?: string }) => {
    await guarded(async () => {
      const { config } = configFrom(opts.config);
      const url = redisUrlFrom(config);
      if (url === undefined) throw new CliError('The audit log lives in Redis: set REDIS_URL or redis.url in the config.', EXIT.usage);
      const { createServices } = await import('../service/services.ts');
      const s = createServices(config, { redisUrl: url, ...prefixFromEnv() });
      try {
        const r = await s.audit.exportJsonl(process.stdout, opts.after === undefined ? {} : { afterId: opts.after });
        process.stderr.write(`${r.count} entries${r.lastId === undefined ? '' : `; last id ${r.lastId}`}\n`);
      } finally {
        await s.close();
      }
    });
  });

program
  .command('samples')
  .description("Create the config's apps as sample workloads on local clusters (admin context; only what is missing)")
  .option('-c, --config <file>', 'config file (default: $CHATOPS_CONFIG, else the embedded local defaults)')
  .option('--admin-context <pattern>', 'admin context per cluster; {context} and {cluster} are filled in', '{context}-admin')
  .action(async (opts: { config?: string; adminContext: string }) => {
    await guarded(async () => {
      const { config } = configFrom(opts.config);
      const { createSamples } = await import('./samples-command.ts');
      const ok = await createSamples(config, opts.adminContext, (l) => process.stdout.write(l + '\n'));
      process.exitCode = ok ? EXIT.ok : EXIT.failed;
    });
  });

await program.parseAsync(process.argv);
