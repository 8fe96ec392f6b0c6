/**
 * A job worker in a process of its own, for tests that kill it (kill -9) in the middle of a job.
 * Configured from the environment the test passes:
 *
 *   REDIS_URL        the test Redis
 *   CHATOPS_PREFIX   the test's key prefix (the same as the test's own Services)
 *   CHATOPS_CONFIG   a bot config file (JSON or YAML) the test wrote to a temp dir
 *   CHATOPS_LOCK_MS  the job lock duration (default 5000): a killed worker's job resumes after about this
 *
 * Prints "ready" on stdout once the worker is connected; SIGTERM closes it cleanly.
 */
import { formatProblems, loadConfig } from '../../../src/config/load.ts';
import { loopbackOnly } from '../../../src/jobs/probe.ts';
import { startWorker } from '../../../src/jobs/worker.ts';
import { createServices, workerDeps } from '../../../src/service/services.ts';

function need(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') {
    process.stderr.write(`worker-child: ${name} is not set\n`);
    process.exit(2);
  }
  return v;
}

const loaded = loadConfig(need('CHATOPS_CONFIG'), {});
if (!loaded.ok) {
  process.stderr.write(`worker-child: bad config:\n${formatProblems(loaded.error)}\n`);
  process.exit(2);
}
const s = createServices(loaded.value, { redisUrl: need('REDIS_URL'), prefix: need('CHATOPS_PREFIX') });
const worker = startWorker({
  ...workerDeps(s, { rolloutTimeoutMs: 60_000, lockDurationMs: Number(process.env['CHATOPS_LOCK_MS'] ?? 5000), concurrency: 4 }),
  fetch: loopbackOnly(),
});
worker.on('error', (e) => process.stderr.write(`worker-child: ${e.message}\n`));
await worker.waitUntilReady();
process.stdout.write('ready\n');

process.once('SIGTERM', () => {
  void (async () => {
    await worker.close();
    await s.close();
    process.exit(0);
  })();
});
