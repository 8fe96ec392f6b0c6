#!/usr/bin/env node
import { Command as Cli } from 'commander';
import { renderText } from '../chat/cli/render-text.ts';
import { formatProblems, loadConfig } from '../config/load.ts';
import { defaultConfigPath } from '../config/paths.ts';
import { handleText } from '../core/handle.ts';
import { applyBotRbac, rbacYaml } from './rbac-command.ts';

/**
 * The `chatops` command line: the same grammar, policy and messages as chat. Outside local
 * mode it always acts as the configured operator, so nobody can use it to approve their own
 * request by claiming to be someone else.
 */
const EXIT = { ok: 0, denied: 1, usage: 2, config: 78 } as const;

const program = new Cli('chatops').description('Chat-ops bot for Kubernetes: the command line').showHelpAfterError();

program
  .command('run')
  .description('Run one command as chat would, e.g. chatops run --as alice "/deploy web v1.4.2 to prod"')
  .argument('<text...>', 'the command, as typed in chat')
  .option('--as <person>', 'act as this person (local mode only)')
  .option('-c, --config <file>', 'config file (default: $CHATOPS_CONFIG, else the embedded local defaults)')
  .action((words: string[], opts: { as?: string; config?: string }) => {
    const file = opts.config ?? process.env['CHATOPS_CONFIG'] ?? defaultConfigPath();
    const loaded = loadConfig(file);
    if (!loaded.ok) {
      process.stderr.write(`Config ${file} has problems:\n${formatProblems(loaded.error)}\n`);
      process.exitCode = EXIT.config;
      return;
    }
    const config = loaded.value;
    let actor = config.operator;
    if (opts.as !== undefined) {
      if (config.mode !== 'local' && opts.as !== config.operator) {
        process.stderr.write(
          `--as is only allowed in local mode. This config is in ${config.mode} mode, so the CLI acts as its operator (${config.operator ?? 'not set'}).\n`,
        );
        process.exitCode = EXIT.usage;
        return;
      }
      if (!Object.hasOwn(config.people, opts.as)) {
        process.stderr.write(`--as ${opts.as}: no such person in the config (known: ${Object.keys(config.people).join(', ')}).\n`);
        process.exitCode = EXIT.usage;
        return;
      }
      actor = opts.as;
    }
    if (actor === undefined) {
      process.stderr.write('Say who you are with --as <person> (local mode), or set "operator" in the config.\n');
      process.exitCode = EXIT.usage;
      return;
    }
    const outcome = handleText(words.join(' '), { config, actor, now: new Date(), locks: [], freezes: [] });
    if (outcome.kind === 'approval') {
      process.stdout.write(`/${outcome.command.verb} needs the job engine (Redis), which this run has none of: nothing was done.\n`);
      process.exitCode = EXIT.usage;
      return;
    }
    process.stdout.write(renderText(outcome.message) + '\n');
    if (outcome.kind === 'decided' && outcome.decision.kind !== 'deny') {
      process.stdout.write('\nNothing was executed: the job engine is not built yet, so the CLI only shows what chat would show.\n');
    }
    process.exitCode = outcome.kind === 'error' ? EXIT.usage : outcome.kind === 'decided' && outcome.decision.kind === 'deny' ? EXIT.denied : EXIT.ok;
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
  .option('--cluster <name>', 'only this cluster')
  .option('--apply', 'create or update them, with an admin identity')
  .option('--admin-kubeconfig <file>', "kubeconfig holding the admin contexts (default: each cluster's own)")
  .option('--admin-context <pattern>', 'admin context per cluster; {context} and {cluster} are filled in', '{context}-admin')
  .option('--create-namespaces', 'also create missing namespaces (local clusters and tests)')
  .action(async (opts: { config?: string; cluster?: string; apply?: boolean; adminKubeconfig?: string; adminContext: string; createNamespaces?: boolean }) => {
    const file = opts.config ?? process.env['CHATOPS_CONFIG'] ?? defaultConfigPath();
    const loaded = loadConfig(file);
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
      process.stdout.write(rbacYaml(loaded.value, opts.cluster));
      return;
    }
    const ok = await applyBotRbac(loaded.value, { ...opts, apply: true }, (l) => process.stdout.write(l + '\n'));
    process.exitCode = ok ? EXIT.ok : EXIT.denied;
  });

await program.parseAsync(process.argv);
