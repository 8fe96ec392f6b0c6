import { canonicalJson } from './canonical-json.ts';

/**
 * What a write changes in a Kubernetes object, field by field: the object as it is (a read)
 * against the object as the apiserver says it would be after the write (the same write, sent
 * with dryRun=All). Pure: both sides are plain JSON.
 *
 * Only what a person changes is compared: `spec`, `metadata.labels` and `metadata.annotations`.
 * Everything the server sets (status, managedFields, resourceVersion, generation, uid, the
 * timestamps) lives outside those, and fields the server defaults show on both sides alike, so
 * they never make a change. Lists of objects with a merge key (containers and env by name,
 * volumeMounts by mountPath, ports by containerPort) are compared item by item, so a changed
 * image is one change of `containers[web].image`, not of the whole list; other lists compare
 * as one value.
 */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/** An object key, or the item of a list whose field `key` has the value `value` (a container by name). */
export type PathStep = string | { readonly key: string; readonly value: string };
export type FieldPath = readonly PathStep[];

export interface FieldChange {
  readonly path: FieldPath;
  /** Absent: the field does not exist before the write. */
  readonly from?: Json;
  /** Absent: the write removes it. */
  readonly to?: Json;
}

/** The parts of an object a change is looked for in. */
export const DIFF_ROOTS: readonly FieldPath[] = [['spec'], ['metadata', 'labels'], ['metadata', 'annotations']];

/** Merge keys of the lists compared item by item, in the order they are tried. */
const MERGE_KEYS = ['name', 'mountPath', 'containerPort', 'devicePath', 'ip'] as const;

function isObject(v: unknown): v is { readonly [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Plain JSON of anything JSON can carry (model objects, Dates), or undefined. */
export function toJson(value: unknown): Json | undefined {
  if (value === undefined) return undefined;
  return JSON.parse(JSON.stringify(value)) as Json;
}

export function sameJson(a: Json | undefined, b: Json | undefined): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function keyOf(item: Json, key: string): string | undefined {
  if (!isObject(item)) return undefined;
  const v = item[key];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}

/** The merge key both lists' items all carry, each value once; undefined: compare the lists whole. */
function mergeKeyOf(a: readonly Json[], b: readonly Json[]): string | undefined {
  const items = [...a, ...b];
  if (items.length === 0) return undefined;
  for (const key of MERGE_KEYS) {
    const uniqueIn = (list: readonly Json[]) => {
      const seen = list.map((i) => keyOf(i, key));
      return seen.every((k) => k !== undefined) && new Set(seen).size === seen.length;
    };
    if (uniqueIn(a) && uniqueIn(b)) return key;
  }
  return undefined;
}

/** Label and annotation maps: a map that appears or goes away is shown key by key, as people read them. */
function isStringMap(path: FieldPath): boolean {
  const last = path[path.length - 1];
  return last === 'labels' || last === 'annotations';
}

function diffValue(path: FieldPath, a: Json | undefined, b: Json | undefined, out: FieldChange[]): void {
  if (sameJson(a, b)) return;
  if (isStringMap(path) && ((a === undefined && isObject(b)) || (isObject(a) && b === undefined))) {
    diffValue(path, a ?? {}, b ?? {}, out);
    return;
  }
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) diffValue([...path, k], a[k], b[k], out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const key = mergeKeyOf(a, b);
    if (key !== undefined) {
      const byKey = (list: readonly Json[]) => new Map(list.map((i) => [keyOf(i, key) ?? '', i] as const));
      const before = byKey(a);
      const after = byKey(b);
      // Items in the order they end up in, then the removed ones.
      const order = [...after.keys(), ...[...before.keys()].filter((k) => !after.has(k))];
      for (const v of order) diffValue([...path, { key, value: v }], before.get(v), after.get(v), out);
      return;
    }
  }
  out.push({ path, ...(a === undefined ? {} : { from: a }), ...(b === undefined ? {} : { to: b }) });
}

/** The value at `path`, or undefined when some step is missing. */
export function valueAt(obj: Json | undefined, path: FieldPath): Json | undefined {
  let cur: Json | undefined = obj;
  for (const step of path) {
    if (cur === undefined) return undefined;
    if (typeof step === 'string') {
      cur = isObject(cur) ? cur[step] : undefined;
    } else {
      cur = Array.isArray(cur) ? (cur as readonly Json[]).find((i) => keyOf(i, step.key) === step.value) : undefined;
    }
  }
  return cur;
}

/** Every change between two versions of an object, in the parts a person changes (DIFF_ROOTS). */
export function diffObjects(before: unknown, after: unknown): FieldChange[] {
  const a = toJson(before);
  const b = toJson(after);
  const out: FieldChange[] = [];
  for (const root of DIFF_ROOTS) diffValue(root, valueAt(a, root), valueAt(b, root), out);
  return out;
}

/** The field as people read it: `spec.template.spec.containers[web].image`, `metadata.annotations["kubernetes.io/change-cause"]`. */
export function formatPath(path: FieldPath): string {
  let s = '';
  for (const step of path) {
    if (typeof step !== 'string') s += step.key === 'name' ? `[${step.value}]` : `[${step.key}=${step.value}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(step)) s += s === '' ? step : `.${step}`;
    else s += `[${JSON.stringify(step)}]`;
  }
  return s;
}

const VALUE_MAX = 120;

/** A value on one line: strings bare, absent as "(none)", anything else as compact JSON, cut at 120 characters. */
export function formatValue(v: Json | undefined): string {
  if (v === undefined) return '(none)';
  const s = typeof v === 'string' ? (v === '' ? '""' : v) : JSON.stringify(v);
  const one = s.replace(/\s+/g, ' ');
  return one.length > VALUE_MAX ? `${one.slice(0, VALUE_MAX - 1)}…` : one;
}

function stepName(step: PathStep | undefined): string | undefined {
  return typeof step === 'string' ? step : undefined;
}

/** What the field is, in words, for the common ones; the path otherwise. */
export function describeField(path: FieldPath): string {
  const p = formatPath(path);
  const last = path[path.length - 1];
  const container = path.length >= 5 && path[3] === 'containers' && typeof path[4] !== 'string' ? path[4]?.value : undefined;
  if (p === 'spec.replicas') return 'replicas';
  if (container !== undefined && path.length === 5) return `container ${container}`;
  if (container !== undefined && path.length === 6 && stepName(last) !== undefined) return `container ${container} ${stepName(last) ?? ''}`;
  if (path.length === 3 && path[0] === 'metadata' && path[1] === 'annotations') return `annotation ${stepName(last) ?? ''}`;
  if (path.length === 3 && path[0] === 'metadata' && path[1] === 'labels') return `label ${stepName(last) ?? ''}`;
  if (path.length === 5 && path[2] === 'metadata' && path[3] === 'annotations') return `pod annotation ${stepName(last) ?? ''}`;
  if (path.length === 5 && path[2] === 'metadata' && path[3] === 'labels') return `pod label ${stepName(last) ?? ''}`;
  return p;
}

/** "container web image: registry/web:v1 → registry/web:v2". */
export function describeChange(c: FieldChange): string {
  return `${describeField(c.path)}: ${formatValue(c.from)} → ${formatValue(c.to)}`;
}

/** The image field of a container in a workload's pod template. */
export function containerImagePath(container: string): FieldPath {
  return ['spec', 'template', 'spec', 'containers', { key: 'name', value: container }, 'image'];
}

export const REPLICAS_PATH: FieldPath = ['spec', 'replicas'];

/** The changes of `a` and then those of `b` at other fields: one expectation per field. */
export function mergeChanges(a: readonly FieldChange[], b: readonly FieldChange[]): FieldChange[] {
  const seen = new Set(a.map((c) => formatPath(c.path)));
  return [...a, ...b.filter((c) => !seen.has(formatPath(c.path)))];
}
