import { hhmmUtc } from './clock.ts';
import { describeField, formatValue, sameJson, valueAt, type FieldChange, type FieldPath, type Json } from './field-diff.ts';

/**
 * Who last set a field, from the object's managedFields: each entry names a field manager
 * (kubectl-edit, kube-controller-manager, chatops-bot…), its operation, the subresource it
 * wrote through and when, and the set of fields it owns as a trie (fieldsV1: `f:<key>` for an
 * object key, `k:{"name":"web"}` for a list item by its merge key). A manager that changes a
 * field's value with an update takes the field over, so the owner of a field that moved is the
 * one who moved it. Pure.
 */
export interface ManagedFieldsEntry {
  readonly manager?: string | undefined;
  readonly operation?: string | undefined;
  readonly subresource?: string | undefined;
  readonly time?: Date | string | null | undefined;
  readonly fieldsV1?: unknown;
}

export interface FieldOwner {
  readonly manager: string;
  readonly operation?: string;
  /** "scale" when written through the scale subresource (an HPA, kubectl scale). */
  readonly subresource?: string;
  readonly time?: Date;
}

function child(node: unknown, step: FieldPath[number]): unknown {
  if (typeof node !== 'object' || node === null) return undefined;
  const trie = node as Record<string, unknown>;
  if (typeof step === 'string') return trie[`f:${step}`];
  for (const [k, v] of Object.entries(trie)) {
    if (!k.startsWith('k:')) continue;
    try {
      const item = JSON.parse(k.slice(2)) as Record<string, unknown>;
      const got = item[step.key];
      if ((typeof got === 'string' || typeof got === 'number') && String(got) === step.value) return v;
    } catch {
      // A key that isn't JSON is not one we look for.
    }
  }
  return undefined;
}

function owns(fieldsV1: unknown, path: FieldPath): boolean {
  let node: unknown = fieldsV1;
  for (const step of path) {
    node = child(node, step);
    if (node === undefined) return false;
  }
  return true;
}

function timeOf(t: ManagedFieldsEntry['time']): Date | undefined {
  if (t === undefined || t === null) return undefined;
  const d = t instanceof Date ? t : new Date(t);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** The manager that owns `path` (the latest one, when several share it); status writers never count. */
export function ownerOf(entries: readonly ManagedFieldsEntry[] | undefined, path: FieldPath): FieldOwner | undefined {
  let best: { owner: FieldOwner; at: number } | undefined;
  for (const e of entries ?? []) {
    if (e.subresource === 'status' || e.manager === undefined || !owns(e.fieldsV1, path)) continue;
    const time = timeOf(e.time);
    const owner: FieldOwner = {
      manager: e.manager,
      ...(e.operation === undefined ? {} : { operation: e.operation }),
      ...(e.subresource === undefined || e.subresource === '' ? {} : { subresource: e.subresource }),
      ...(time === undefined ? {} : { time }),
    };
    // An entry without a time (the scale subresource leaves it out) still beats having no owner.
    const at = time?.getTime() ?? -1;
    if (best === undefined || at > best.at) best = { owner, at };
  }
  return best?.owner;
}

/** A field that no longer holds the value a change was computed from. */
export interface Drift {
  readonly path: FieldPath;
  readonly expected: Json | undefined;
  readonly now: Json | undefined;
  readonly owner?: FieldOwner;
}

/**
 * The changes whose field moved away from its "from" in `live`, each with who owns it now. A
 * field that already holds the change's "to" has not moved away from it: the change is done
 * there (an earlier run's write, or someone made the same change), as a write finds it.
 */
export function driftsOf(live: Json | undefined, changes: readonly FieldChange[], managedFields?: readonly ManagedFieldsEntry[]): Drift[] {
  const out: Drift[] = [];
  for (const c of changes) {
    const now = valueAt(live, c.path);
    if (sameJson(now, c.from) || (c.to !== undefined && sameJson(now, c.to))) continue;
    const owner = ownerOf(managedFields, c.path);
    out.push({ path: c.path, expected: c.from, now, ...(owner === undefined ? {} : { owner }) });
  }
  return out;
}

/** "changed by kubectl-edit at 10:04 UTC", "changed by kube-controller-manager through the scale subresource". */
export function changedBy(owner: FieldOwner | undefined): string {
  if (owner === undefined) return 'removed or changed by a manager the object does not name';
  const through = owner.subresource === undefined ? '' : ` through the ${owner.subresource} subresource`;
  const at = owner.time === undefined ? '' : ` at ${hhmmUtc(owner.time)}`;
  return `changed by ${owner.manager}${through}${at}`;
}

/** "container web image is registry/web:hand now, not registry/web:v1 (changed by kubectl-edit at 10:04 UTC)". */
export function describeDrift(d: Drift): string {
  return `${describeField(d.path)} is ${formatValue(d.now)} now, not ${formatValue(d.expected)} (${changedBy(d.owner)})`;
}
