import { describe, expect, it } from 'vitest';
import { decideStorm, type StormState } from '../../../src/alerts/storm.ts';

const now = 1_000_000;
const input = { now, limit: 3, quietMs: 300_000 };
const ago = (ms: number) => now - ms;

describe('decideStorm', () => {
  it.each<[string, StormState, ReturnType<typeof decideStorm>]>([
    ['quiet channel', { recent: [] }, { kind: 'own' }],
    ['under the rate', { recent: [ago(1000), ago(2000)] }, { kind: 'own' }],
    ['at the rate: the next one starts a storm', { recent: [ago(1000), ago(2000), ago(3000)] }, { kind: 'storm', epoch: 1, started: true }],
    ['old messages fall out of the minute', { recent: [ago(61_000), ago(70_000), ago(2000)] }, { kind: 'own' }],
    ['a storm goes on while groups keep coming', { recent: [], storm: { epoch: 4, lastDivertAt: ago(10_000) } }, { kind: 'storm', epoch: 4, started: false }],
    ['a storm quiet for long enough is over', { recent: [], storm: { epoch: 4, lastDivertAt: ago(300_000) } }, { kind: 'own' }],
    ['a new storm after an old one gets the next epoch', { recent: [ago(1), ago(2), ago(3)], storm: { epoch: 4, lastDivertAt: ago(400_000) } }, { kind: 'storm', epoch: 5, started: true }],
  ])('%s', (_name, state, want) => {
    expect(decideStorm(state, input)).toEqual(want);
  });

  it('never gives more than `limit` own messages in any minute of a burst', () => {
    let state: StormState = { recent: [] };
    let own = 0;
    for (let i = 0; i < 100; i++) {
      const d = decideStorm(state, { ...input, now: now + i * 100 });
      if (d.kind === 'own') {
        own++;
        state = { ...state, recent: [...state.recent, now + i * 100] };
      } else state = { ...state, storm: { epoch: d.epoch, lastDivertAt: now + i * 100 } };
    }
    expect(own).toBe(3);
  });
});
