import { loadConfig, formatProblems } from '../../src/config/load.ts';
import { defaultConfigPath } from '../../src/config/paths.ts';
import { silentLog } from '../../src/log.ts';
import { startApi } from '../../src/server/api.ts';

/**
 * The bot's API role for the benchmarks: the embedded config, Slack (HTTP mode) from the
 * environment (SLACK_* pointing the Web API at a local fake), Redis from REDIS_URL. Prints
 * "READY <url>" once serving; SIGTERM stops it.
 */
const loaded = loadConfig(process.env['CHATOPS_CONFIG'] ?? defaultConfigPath());
if (!loaded.ok) throw new Error(formatProblems(loaded.error));
const api = await startApi(loaded.value, { redisUrl: process.env['REDIS_URL'] ?? '', prefix: process.env['CHATOPS_REDIS_PREFIX'] ?? 'bench:', log: silentLog(), host: '127.0.0.1', port: 0 });
process.stdout.write(`READY ${api.url}\n`);
process.once('SIGTERM', () => {
  void api.stop().then(() => process.exit(0));
});
