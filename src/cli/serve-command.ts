import type { Config } from '../config/schema.ts';
import { localBindProblem } from '../local/loopback.ts';
import type { Log } from '../log.ts';
import { startApi, type RunningApi } from '../server/api.ts';
import { startTelemetry } from '../telemetry/export.ts';
import { CliError, EXIT, prefixFromEnv } from './setup.ts';

/**
 * `chatops serve`: the API role on its own. The HTTP server (chat webhooks, /healthz, /readyz,
 * /metrics), the notifier that keeps live messages current and the outbox that sends them, with
 * no worker: `chatops worker` runs the operations, and the two scale separately because they
 * only share Redis. Runs until SIGTERM or SIGINT, then closes the server, the parts, the
 * notifier, the outbox and Redis, in that order; a second signal exits at once.
 */
export interface ServeOptions {
  readonly host?: string | undefined;
  readonly port?: number | undefined;
}

export type StopSignal = 'SIGTERM' | 'SIGINT';

/** Resolves with the first SIGTERM or SIGINT; a second one while stopping exits at once. */
export function firstSignal(proc: NodeJS.Process = process): Promise<StopSignal> {
  return new Promise((resolve) => {
    const on = (signal: StopSignal) => {
      proc.off('SIGTERM', onTerm);
      proc.off('SIGINT', onInt);
      const again = () => proc.exit(signal === 'SIGINT' ? 130 : 143);
      proc.once('SIGTERM', again);
      proc.once('SIGINT', again);
      resolve(signal);
    };
    const onTerm = () => on('SIGTERM');
    const onInt = () => on('SIGINT');
    proc.once('SIGTERM', onTerm);
    proc.once('SIGINT', onInt);
  });
}

export async function serveCommand(config: Config, redisUrl: string, opts: ServeOptions, log: Log, stopWhen: Promise<StopSignal> = firstSignal()): Promise<void> {
  const bindProblem = localBindProblem(config.mode, opts.host ?? config.server.host);
  if (bindProblem !== undefined) throw new CliError(bindProblem, EXIT.usage);
  const telemetry = await startTelemetry();
  const api: RunningApi = await startApi(config, {
    redisUrl,
    log,
    ...prefixFromEnv(),
    ...(opts.host === undefined ? {} : { host: opts.host }),
    ...(opts.port === undefined ? {} : { port: opts.port }),
  });
  log.info({ mode: config.mode, url: api.url }, 'api role running; SIGTERM stops it');
  const signal = await stopWhen;
  log.info({ signal }, 'stopping: closing the server, parts, notifier, outbox and Redis');
  await api.stop();
  await telemetry.shutdown();
  log.info('stopped');
}
