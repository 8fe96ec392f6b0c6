import { describe, expect, it } from 'vitest';
import { distinctRuns } from '../../../src/alerts/engine.ts';

/**
 * A webhook's alerts go to Redis in pipelined runs; a run never holds one fingerprint twice,
 * so a repeated alert sees its earlier copy applied, as if the alerts had come one by one.
 */
const a = (fingerprint: string, n = 0) => ({ fingerprint, n });

describe('distinctRuns', () => {
  it.each([
    [[], []],
    [[a('x')], [['x']]],
    [[a('x'), a('y'), a('z')], [['x', 'y', 'z']]],
    // x again: a new run starts at the repeat, and the run holds y again only after that.
    [[a('x'), a('y'), a('x'), a('y'), a('z')], [['x', 'y'], ['x', 'y', 'z']]],
    [[a('x'), a('x'), a('x')], [['x'], ['x'], ['x']]],
    [[a('x'), a('y'), a('y'), a('x')], [['x', 'y'], ['y', 'x']]],
  ])('%j → %j', (alerts, want) => {
    expect(distinctRuns(alerts).map((r) => r.map((x) => x.fingerprint))).toEqual(want);
  });

  it('keeps every alert, in order, and the same objects', () => {
    const alerts = [a('x', 1), a('y', 2), a('x', 3), a('z', 4), a('z', 5)];
    const runs = distinctRuns(alerts);
    expect(runs.flat()).toEqual(alerts);
    expect(runs.flat()[2]).toBe(alerts[2]);
    for (const r of runs) expect(new Set(r.map((x) => x.fingerprint)).size).toBe(r.length);
  });
});
