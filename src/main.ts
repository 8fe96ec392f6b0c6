import { resolve } from 'node:path';
import { runRepl } from './chat/console/repl.ts';
import { redisUrlFrom, prefixFromEnv } from './cli/setup.ts';
import { formatProblems, loadConfig } from './config/load.ts';
import { redactUrls } from './core/redact.ts';
import { defaultConfigPath, projectRoot } from './config/paths.ts';
import type { Config } from './config/schema.ts';
import { localBindProblem } from './local/loopback.ts';
import { followPort, pickPort } from './local/port.ts';
import { localPrometheus, startLocalClusters, startLocalRedis, usesLocalClusters, type Script } from './local/services.ts';
import { createLog } from './log.ts';
import { startApi } from './server/api.ts';
import { startTelemetry } from './telemetry/export.ts';
import { runWorker } from './service/services.ts';
import { startSweeper } from './service/sweeper.ts';

/**
 * Composition root. `npm start` runs the whole bot in one process on the embedded defaults (or
 * the file in CHATOPS_CONFIG): in local mode it first starts what is missing around it (a
 * Redis unless REDIS_URL or redis.url names one, and the local control planes when the
 * config's clusters are them), then the API role (HTTP server with the web console, the chat
 * platforms that are configured, the notifier and the outbox) and a worker with the sweeper,
 * and prints the console's URL. SIGINT (Ctrl-C) or SIGTERM stops everything it started, in
 * reverse order, and nothing else: a second signal stops the worker without waiting for its
 * current steps, a third exits at once.
 *
 * `npm run chat` (`--chat`) is the terminal chat instead: it previews, running nothing.
 */
const args = process.argv.slice(2);
const say = (line: string): void => {
  process.stdout.write(line + '\n');
};
const file = process.env['CHATOPS_CONFIG'] ?? defaultConfigPath();
const loaded = loadConfig(file);
if (!loaded.ok) {
  process.stderr.write(`Config ${file} has problems:\n${formatProblems(loaded.error)}\n`);
  process.exit(78);
}

if (args.includes('--help') || args.includes('-h')) {
  say('npm start            the bot: API with the web console, worker (and in local mode Redis and the local clusters when missing)');
  say('npm run chat         a terminal chat that previews (parses, resolves, checks policy; runs nothing)');
  say('Environment: CHATOPS_CONFIG (config file), REDIS_URL, CHATOPS_DATA_DIR (local Redis data, default .data), LOG_LEVEL.');
} else if (args.includes('--chat')) {
  await terminalChat(loaded.value);
} else {
  await runAll(loaded.value);
}

async function terminalChat(config: Config): Promise<void> {
  say(
    [
      `chatops: ${config.mode} mode, config ${file}`,
      `People: ${Object.keys(config.people).join(', ')}. Type commands as in chat (help, /deploy web v1.4.2 to prod, …);`,
      config.mode === 'local' ? '"as <person>" switches who you are; "exit" quits.' : '"exit" quits.',
      'This terminal chat previews: it parses, resolves and checks policy, and runs nothing. `npm start` runs the bot',
      '(web console, worker, and in local mode Redis and the local clusters).',
      '',
    ].join('\n'),
  );
  process.on('SIGTERM', () => process.exit(0));
  await runRepl(config, process.stdin, process.stdout, () => new Date());
}

async function runAll(configured: Config): Promise<void> {
  const root = projectRoot();
  const local = configured.mode === 'local';
  // Before anything is started: local mode listens on loopback only.
  const bindProblem = localBindProblem(configured.mode, configured.server.host);
  if (bindProblem !== undefined) {
    process.stderr.write(`chatops: ${bindProblem}\n`);
    process.exitCode = 2;
    return;
  }
  const log = createLog('chatops', process.env['LOG_LEVEL'] ?? (local ? 'warn' : 'info'));
  const started: { name: string; stop: () => Promise<void> }[] = [];
  const scripts = new Set<Script>();
  const track = (s: Script) => {
    scripts.add(s);
    void s.done.then(() => scripts.delete(s));
  };

  let signals = 0;
  let forceWorker: (() => void) | undefined;
  let resolveStop: (() => void) | undefined;
  const stopRequested = new Promise<void>((r) => (resolveStop = r));
  let lastSignal = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    // Under `npm start` one Ctrl-C arrives twice (from the terminal, and forwarded by npm): a
    // repeat within a second is the same one.
    if (Date.now() - lastSignal < 1000) return;
    lastSignal = Date.now();
    signals += 1;
    if (signals === 1) {
      say(`\n${signal}: stopping what this started (Ctrl-C again to stop the worker without waiting for its current steps)`);
      for (const s of scripts) s.kill();
      resolveStop?.();
    } else if (signals === 2) {
      say('stopping the worker now; its operations resume on the next start');
      forceWorker?.();
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const stopping = () => signals > 0;

  const teardown = async (): Promise<void> => {
    for (const x of started.reverse()) {
      try {
        await x.stop();
      } catch (e) {
        say(`stopping ${x.name} failed: ${redactUrls(e instanceof Error ? e.message : String(e))}`);
      }
    }
  };

  try {
    say(`chatops: ${configured.mode} mode, config ${file}`);

    // Redis: the configured one, else (local mode) our own.
    let redisUrl = redisUrlFrom(configured);
    if (redisUrl !== undefined) say(`Redis: ${redactUrls(redisUrl)} (${configured.redis?.url === undefined ? 'REDIS_URL' : 'redis.url in the config'})`);
    else if (local) {
      const dir = resolve(process.env['CHATOPS_DATA_DIR'] ?? `${root}.data`, 'redis');
      const redis = await startLocalRedis(root, dir, track);
      if (redis.ours) started.push({ name: 'Redis', stop: () => redis.stop() });
      redisUrl = redis.url;
      say(`Redis: ${redis.url} (${redis.ours ? `started, pid ${redis.pid ?? '?'}, data in ${dir}` : `already running from ${dir}; left running on exit`})`);
    } else {
      throw new Error('No Redis: set REDIS_URL or redis.url in the config (only local mode starts a Redis of its own).');
    }
    if (stopping()) return;

    // Kubernetes: the local control planes when the config's clusters are them.
    if (local && usesLocalClusters(configured, root, process.cwd())) {
      if (process.env['KUBECONFIG'] !== undefined && process.env['CHATOPS_KUBECONFIG'] === undefined) {
        say('KUBECONFIG is set, but this config names the local clusters (gz, nj); to use yours, point CHATOPS_CONFIG at a config whose clusters name your kubeconfig and contexts.');
      }
      say('Kubernetes: the local control planes gz and nj (scripts/cluster/up.sh; the first run builds them, which takes minutes)');
      const clusters = await startLocalClusters(root, (l) => say(l), track);
      if (clusters.started.length > 0) started.push({ name: 'the local clusters', stop: () => clusters.stop(say) });
      say(clusters.started.length > 0 ? `Kubernetes: started ${clusters.started.join(', ')}; stopped on exit` : 'Kubernetes: already up; left running on exit');
    } else {
      say(`Kubernetes: as configured (${Object.entries(configured.clusters).map(([n, c]) => `${n}: ${c.inCluster === true ? 'in-cluster' : `${c.kubeconfig ?? 'default kubeconfig'}${c.context === undefined ? '' : ` context ${c.context}`}`}`).join('; ')})`);
    }
    if (stopping()) return;

    const host = configured.server.host;
    const { port, moved } = await pickPort(host, configured.server.port);
    if (moved) say(`Port ${configured.server.port} is taken: listening on ${port} instead`);
    // Local mode: the API moved port, and the local clusters' Prometheus for /scale … suggest.
    const config = local ? localPrometheus(followPort(configured, configured.server.port, port), root, process.cwd()) : configured;

    const telemetry = await startTelemetry();
    started.push({ name: 'trace export', stop: () => telemetry.shutdown() });
    const api = await startApi(config, { redisUrl, log, host, port, ...prefixFromEnv() });
    started.push({ name: 'the API', stop: () => api.stop() });
    const worker = runWorker(api.s);
    worker.on('error', (e) => log.error({ err: e }, 'worker'));
    // BullMQ's close waits for the current jobs; a second signal stops waiting (their locks
    // lapse and the next start picks them up as stalled), and the process exits after teardown.
    const forced = new Promise<void>((r) => (forceWorker = r));
    started.push({ name: 'the worker', stop: () => Promise.race([worker.close(), forced]) });
    const sweeper = await startSweeper(api.s, { onError: (e) => log.warn({ err: e }, 'sweep failed') });
    started.push({ name: 'the sweeper', stop: () => sweeper.close() });

    const platforms = api.parts.map((p) => p.name).filter((n) => n !== 'sample-probe');
    say('');
    say(`Web console:  ${api.url}/console/`);
    say(`Dashboard:    ${api.url}/console/dashboard`);
    say(`Parts: ${platforms.join(', ')}; worker running in this process.`);
    say(local ? 'Local mode: pick who you are in the console (try /deploy web v1.4.2 to prod as alice, approve as bob).' : 'Each person signs in to the console with their own token (people.<name>.consoleTokenHash).');
    say('Ctrl-C stops everything this started.');
    await stopRequested;
  } catch (e) {
    if (!stopping()) {
      process.stderr.write(`chatops: ${redactUrls(e instanceof Error ? e.message : String(e))}\n`);
      process.exitCode = 1;
    }
  } finally {
    await teardown();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    say('stopped');
    // Steps of a worker that was not waited for may still be pending: don't wait for them.
    if (signals > 1) process.exit(130);
  }
}
