import type { Config } from '../config/schema.ts';
import { localProbes } from '../local/sample-probe.ts';
import { createServices, runWorker } from '../service/services.ts';
import { startSweeper } from '../service/sweeper.ts';
import { startTelemetry } from '../telemetry/export.ts';
import { prefixFromEnv } from './setup.ts';

/**
 * `chatops worker`: runs queued operations until SIGTERM or SIGINT, then lets the current
 * steps finish (BullMQ's close waits for active jobs) so nothing is left half written; a
 * worker killed outright has its jobs picked up by another one (stalled-job detection).
 */
export async function workerCommand(config: Config, redisUrl: string, opts: { concurrency?: number }, log: (s: string) => void): Promise<void> {
  const telemetry = await startTelemetry();
  const s = createServices(config, { redisUrl, ...prefixFromEnv(), ...localProbes(config) });
  const worker = runWorker(s, opts.concurrency === undefined ? {} : { concurrency: opts.concurrency });
  worker.on('active', (job) => log(`started ${job.id ?? '?'}`));
  worker.on('completed', (job) => log(`done ${job.id ?? '?'}`));
  worker.on('failed', (job, err) => log(`failed ${job?.id ?? '?'}: ${err.message}`));
  // Redis going away is reported here while BullMQ reconnects.
  worker.on('error', (err) => log(`worker: ${err.message}`));
  // Approval expiry and reminders: one sweep every 5 s for all workers together.
  const sweeper = await startSweeper(s, {
    onSwept: (r) => [...r.expired.map((id) => `expired ${id}`), ...r.reminded.map((id) => `reminded approvers of ${id}`)].forEach(log),
    onError: (e) => log(`sweep failed: ${e.message}`),
  });
  log(`worker running (pid ${process.pid}); Ctrl-C stops it after the current steps`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  log('stopping: finishing the current steps');
  await sweeper.close();
  await worker.close();
  await s.close();
  await telemetry.shutdown();
}
