import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { jobPayload, type JobPayload } from './spec.ts';

/**
 * The operations queue. A job's id is its operation id, so adding the same operation twice
 * (a redelivered chat event, a second approval click) finds the first job instead of making
 * another; the delivery dedupe records cover the time after a finished job is removed.
 */
export const QUEUE_NAME = 'operations';

/** Transient failures (a Kubernetes 5xx, a lost connection) retry with backoff this often. */
export const JOB_ATTEMPTS = 5;

export function createQueue(connection: Redis, prefix: string): Queue {
  return new Queue(QUEUE_NAME, {
    connection,
    prefix: `${prefix}bull`,
    defaultJobOptions: {
      attempts: JOB_ATTEMPTS,
      backoff: { type: 'exponential', delay: 2000 },
      removeOnComplete: { age: 7 * 24 * 3600 },
      removeOnFail: { age: 30 * 24 * 3600 },
    },
  });
}

export async function enqueue(queue: Queue, payload: JobPayload): Promise<{ jobId: string; added: boolean }> {
  const data = jobPayload.parse(payload);
  const existing = await queue.getJob(data.opId);
  if (existing !== undefined && existing !== null) return { jobId: data.opId, added: false };
  await queue.add(data.spec.kind, data, { jobId: data.opId });
  return { jobId: data.opId, added: true };
}
