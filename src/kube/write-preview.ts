import { diffObjects, toJson, type FieldChange, type Json } from '../core/field-diff.ts';
import { describeDrift, driftsOf, type Drift } from '../core/field-owner.ts';
import type { KubeClients } from './clients.ts';
import { StaleRequest } from './retry.ts';
import { describeWorkload, readWorkload, type Workload, type WorkloadRef } from './workload.ts';

/**
 * What every write of the gateway shares beyond its patch: the dry run's answer turned into a
 * preview (the object before, the object the apiserver says it would store, and the field
 * changes between them), and the check, before a real write, that the fields the write
 * changes still hold the values the approved preview started from.
 */
export interface WriteOptions {
  readonly maxAttempts?: number | undefined;
  /** Recorded in managedFields; lets an operator see that the bot made the change. */
  readonly fieldManager?: string | undefined;
  /** Send the same write with dryRun=All: the apiserver runs admission and validation and stores nothing. */
  readonly dryRun?: boolean | undefined;
}

export interface WritePreview {
  readonly before: Json;
  readonly after: Json;
  /** What the write changes in spec, labels and annotations; empty when it changes nothing. */
  readonly changes: readonly FieldChange[];
}

export function previewOf(before: unknown, after: unknown): WritePreview {
  return { before: toJson(before) ?? null, after: toJson(after) ?? null, changes: diffObjects(before, after) };
}

/** The preview of a write that would change nothing (the workload already has it). */
export function unchangedPreview(w: Workload): WritePreview {
  return previewOf(w.object, w.object);
}

/** The fields of `expect` that no longer hold their "from" in `w`, each with who changed it. */
export function driftsIn(w: Workload, expect: readonly FieldChange[]): Drift[] {
  return driftsOf(toJson(w.object), expect, w.object.metadata?.managedFields);
}

/** Refuses (a stale request, never retried) when a field the write changes moved since the request. */
export function refuseMoved(c: KubeClients, ref: WorkloadRef, w: Workload, expect: readonly FieldChange[]): void {
  const drifts = driftsIn(w, expect);
  if (drifts.length === 0) return;
  throw new StaleRequest(`${describeWorkload(c, ref)} changed since the request was made: ${drifts.map(describeDrift).join('; ')}; nothing was changed (conflict)`);
}

/** The same check on a fresh read, without writing: whether an approved change still starts from what was shown. */
export async function readDrifts(c: KubeClients, ref: WorkloadRef, expect: readonly FieldChange[]): Promise<Drift[]> {
  if (expect.length === 0) return [];
  return driftsIn(await readWorkload(c, ref), expect);
}
