import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../src/core/duration.ts';

describe('parseDuration', () => {
  it.each([
    ['90s', 90, '1m30s'],
    ['30m', 1800, '30m'],
    ['2h', 7200, '2h'],
    ['1h30m', 5400, '1h30m'],
    ['1d', 86400, '1d'],
    ['1w', 604800, '7d'],
    ['2H', 7200, '2h'],
  ])('%s is %i seconds, printed %s', (text, seconds, canonical) => {
    const d = parseDuration(text);
    expect(d?.seconds).toBe(seconds);
    expect(d?.toString()).toBe(canonical);
    expect(parseDuration(canonical)?.seconds).toBe(seconds);
  });

  it.each(['', '0s', 'two hours', '2', 'h', '1h-30m', '5x', '9'.repeat(40) + 's'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
