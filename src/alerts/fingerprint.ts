import { createHash } from 'node:crypto';
import type { Labels } from './model.ts';

/**
 * Identities, all derived (never random) so that every replica computes the same one for the
 * same input: an alert's fingerprint from its labels, a group's id from where it is shown
 * (channel and route) and its group-by label values.
 */
function hex(parts: readonly string[], length: number): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(`${p.length}:${p}`);
  return h.digest('hex').slice(0, length);
}

/** Sorted name=value pairs: label order never changes a fingerprint. */
export function labelsFingerprint(labels: Labels): string {
  const names = Object.keys(labels).sort();
  return hex(names.flatMap((n) => [n, labels[n] ?? '']), 16);
}

/** A fingerprint from named parts (Kubernetes events, probes): "k8s-…", "probe-…". */
export function partsFingerprint(kind: string, parts: readonly string[]): string {
  return `${kind}-${hex(parts, 16)}`;
}

/** The group-by values of an alert, in the route's order; a missing label is "". */
export function groupValues(labels: Labels, groupBy: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of groupBy) out[name] = labels[name] ?? '';
  return out;
}

/**
 * The base of a group's id: one group per (channel, route, group-by values). The live id adds
 * an epoch: a group that resolved and fires again gets a new message, not an edit of one far up.
 */
export function groupBase(channel: string, routeId: string, values: Readonly<Record<string, string>>): string {
  const names = Object.keys(values).sort();
  return hex([channel, routeId, ...names.flatMap((n) => [n, values[n] ?? ''])], 10);
}

/** "al-3f9c0a12b4-2": short enough to type in /ack and /silence. */
export function groupId(base: string, epoch: number): string {
  return epoch <= 1 ? `al-${base}` : `al-${base}-${epoch}`;
}
