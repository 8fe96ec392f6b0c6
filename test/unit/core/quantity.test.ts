import { describe, expect, it } from 'vitest';
import { formatBytes, formatCores, parseQuantity } from '../../../src/core/quantity.ts';

describe('Kubernetes quantities', () => {
  it.each([
    ['500m', 0.5],
    ['1', 1],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['250u', 0.00025],
    ['100n', 1e-7],
    ['2k', 2000],
    ['1.5G', 1.5e9],
    ['256Mi', 256 * 2 ** 20],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['2e3', 2000],
    ['1E-3', 0.001],
    ['+3', 3],
  ])('%s is %d', (q, v) => {
    expect(parseQuantity(q)).toBeCloseTo(v, 12);
  });

  it.each(['', 'm', 'fifty', '5 m', '5mi', '5MiB', '1..5', '0x10', '5%'])('%j is not a quantity', (q) => {
    expect(parseQuantity(q)).toBeUndefined();
  });

  it.each([
    [0.4, '400m'],
    [0.0015, '1.5m'],
    [1.25, '1250m'],
    [12.5, '12.5'],
  ])('%d cores show as %s', (v, s) => {
    expect(formatCores(v)).toBe(s);
  });

  it.each([
    [256 * 2 ** 20, '256Mi'],
    [1.5 * 2 ** 30, '1.5Gi'],
    [1000, '1000'],
    [2048, '2Ki'],
  ])('%d bytes show as %s', (v, s) => {
    expect(formatBytes(v)).toBe(s);
  });
});
