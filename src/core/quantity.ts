/**
 * Kubernetes resource quantities ("500m", "1.5", "256Mi", "2e3") as plain numbers: cores for
 * CPU, bytes for memory. Pure. client-node's quantityToScalar returns a bigint for decimal
 * suffixes and throws on "1.5G", so the HPA arithmetic here uses its own small parser.
 */
const SUFFIX: Readonly<Record<string, number>> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

/** The quantity's value, or undefined when it is not a Kubernetes quantity. */
export function parseQuantity(s: string): number | undefined {
  const m = QUANTITY.exec(s.trim());
  if (m === null) return undefined;
  const n = Number(m[1]);
  if (m[2] !== undefined) return n * 10 ** Number(m[2].slice(1));
  const factor = SUFFIX[m[3] ?? ''];
  return factor === undefined ? undefined : n * factor;
}

/** Whether `s` is a quantity greater than zero (an HPA target or a usage). */
export function isPositiveQuantity(s: string): boolean {
  const v = parseQuantity(s);
  return v !== undefined && v > 0;
}

/** Cores as people read them: "400m", "1.25". */
export function formatCores(cores: number): string {
  if (cores < 10) return `${round(cores * 1000, 1)}m`;
  return String(round(cores, 2));
}

/** Bytes in the largest binary unit that keeps a number ≥ 1: "300Mi", "1.5Gi". */
export function formatBytes(bytes: number): string {
  for (const unit of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const) {
    const f = SUFFIX[unit] ?? 1;
    if (bytes >= f) return `${round(bytes / f, 2)}${unit}`;
  }
  return `${round(bytes, 0)}`;
}

/** A number with at most `digits` decimals and no trailing zeros. */
export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
