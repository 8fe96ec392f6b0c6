import { formatProblems, loadConfig } from '../config/load.ts';
import { defaultConfigPath } from '../config/paths.ts';
import type { Config } from '../config/schema.ts';

/** Exit codes of the CLI. */
export const EXIT = { ok: 0, denied: 1, usage: 2, failed: 3, config: 78 } as const;

export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** --config, else $CHATOPS_CONFIG, else the embedded local defaults. */
export function configFrom(option: string | undefined): { file: string; config: Config } {
  const file = option ?? process.env['CHATOPS_CONFIG'] ?? defaultConfigPath();
  const loaded = loadConfig(file);
  if (!loaded.ok) throw new CliError(`Config ${file} has problems:\n${formatProblems(loaded.error)}`, EXIT.config);
  return { file, config: loaded.value };
}

/**
 * Who the CLI acts as. Outside local mode it is always the configured operator, so nobody can
 * use the CLI to approve their own request by claiming to be someone else.
 */
export function actorFrom(config: Config, as: string | undefined): string {
  if (as !== undefined) {
    if (config.mode !== 'local' && as !== config.operator) {
      throw new CliError(`--as is only allowed in local mode. This config is in ${config.mode} mode, so the CLI acts as its operator (${config.operator ?? 'not set'}).`, EXIT.usage);
    }
    if (!Object.hasOwn(config.people, as)) throw new CliError(`--as ${as}: no such person in the config (known: ${Object.keys(config.people).join(', ')}).`, EXIT.usage);
    return as;
  }
  if (config.operator === undefined) throw new CliError('Say who you are with --as <person> (local mode), or set "operator" in the config.', EXIT.usage);
  return config.operator;
}

/** The Redis the job engine uses: the config's, else $REDIS_URL; none means preview only. */
export function redisUrlFrom(config: Config): string | undefined {
  return config.redis?.url ?? process.env['REDIS_URL'];
}

/** $CHATOPS_REDIS_PREFIX keeps several bots (or test runs) apart on one Redis. */
export function prefixFromEnv(): { prefix?: string } {
  const p = process.env['CHATOPS_REDIS_PREFIX'];
  return p === undefined || p === '' ? {} : { prefix: p };
}
