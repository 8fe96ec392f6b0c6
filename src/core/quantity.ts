/**
 * Kubernetes resource quantities ("500m", "1.5Gi", "2", "1e3") as numbers, for comparing what
 * pods request against a ResourceQuota. client-node's quantityToScalar refuses decimals with a
 * binary suffix ("1.5Gi", common for memory), so this follows the apiserver's grammar itself.
 * Pure; undefined for anything that is not a quantity.
 */
const BINARY: Readonly<Record<string, number>> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Readonly<Record<string, number>> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE]?)|[eE]([+-]?\d+))$/;

export function parseQuantity(q: string): number | undefined {
  const m = QUANTITY.exec(q.trim());
  if (m === null) return undefined;
  const n = Number(m[1]);
  if (!Number.isFinite(n)) return undefined;
  if (m[2] !== undefined) return n * (BINARY[m[2]] ?? 1);
  if (m[4] !== undefined) return n * 10 ** Number(m[4]);
  return n * (DECIMAL[m[3] ?? ''] ?? 1);
}
