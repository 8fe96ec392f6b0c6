import { SpanKind } from '@opentelemetry/api';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { jobPayload, type JobPayload } from './spec.ts';
import { inOperationTrace, recordedSpanId } from '../telemetry/spans.ts';

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

/**
 * Adds the operation's job, in an `enqueue <kind>` span of its trace; the job carries that
 * span's id, so every run of it (retries included) shows under the enqueue.
 */
export function enqueue(queue: Queue, payload: JobPayload): Promise<{ jobId: string; added: boolean }> {
  const attributes = { 'chatops.op_id': payload.opId, 'chatops.kind': payload.spec.kind, 'messaging.system': 'bullmq', 'messaging.destination.name': QUEUE_NAME };
  return inOperationTrace(
    payload,
    `enqueue ${payload.spec.kind}`,
    attributes,
    async (span) => {
      const data = jobPayload.parse({ ...payload, parentSpanId: recordedSpanId(span) ?? payload.parentSpanId });
      const existing = await queue.getJob(data.opId);
      const added = existing === undefined || existing === null;
      if (added) await queue.add(data.spec.kind, data, { jobId: data.opId });
      span.setAttribute('chatops.added', added);
      return { jobId: data.opId, added };
    },
    { kind: SpanKind.PRODUCER },
  );
}
