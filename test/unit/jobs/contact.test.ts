import { describe, expect, it } from 'vitest';
import { contactNote, outageNote, type ContactBoard } from '../../../src/jobs/context.ts';
import type { ContactChange, RolloutResult } from '../../../src/kube/rollout.ts';

const lost: ContactChange = { state: 'lost', reason: 'ECONNREFUSED' };
const back = (s: number): ContactChange => ({ state: 'back', downMs: s * 1000 });

describe('contactNote: an outage is told once per cluster, however many workloads follow there', () => {
  const cases: { name: string; steps: [string, ContactChange][]; said: (string | undefined)[] }[] = [
    {
      name: 'one follower loses and regains contact',
      steps: [['gz', lost], ['gz', back(31)]],
      said: ['lost contact with cluster gz (ECONNREFUSED); waiting for it to answer again', 'cluster gz answers again after 31 s; following the rollout'],
    },
    {
      name: 'three followers on one cluster: the first loss and the first return only',
      steps: [['gz', lost], ['gz', lost], ['gz', lost], ['gz', back(30)], ['gz', back(30)], ['gz', back(31)]],
      said: ['lost contact with cluster gz (ECONNREFUSED); waiting for it to answer again', undefined, undefined, 'cluster gz answers again after 30 s; following the rollout', undefined, undefined],
    },
    {
      name: 'two clusters are told apart',
      steps: [['gz', lost], ['nj', lost], ['nj', back(2)], ['gz', back(9)]],
      said: [
        'lost contact with cluster gz (ECONNREFUSED); waiting for it to answer again',
        'lost contact with cluster nj (ECONNREFUSED); waiting for it to answer again',
        'cluster nj answers again after 2 s; following the rollout',
        'cluster gz answers again after 9 s; following the rollout',
      ],
    },
    {
      name: 'a second outage after the first ended is told again',
      steps: [['gz', lost], ['gz', back(5)], ['gz', lost], ['gz', back(6)]],
      said: [
        'lost contact with cluster gz (ECONNREFUSED); waiting for it to answer again',
        'cluster gz answers again after 5 s; following the rollout',
        'lost contact with cluster gz (ECONNREFUSED); waiting for it to answer again',
        'cluster gz answers again after 6 s; following the rollout',
      ],
    },
    { name: 'a return never preceded by a told loss says nothing', steps: [['gz', back(3)]], said: [undefined] },
  ];
  it.each(cases)('$name', ({ steps, said }) => {
    const board: ContactBoard = new Map();
    expect(steps.map(([cluster, change]) => contactNote(board, cluster, change))).toEqual(said);
  });
});

describe('outageNote', () => {
  const result = (unreachableMs: number) => ({ unreachableMs }) as RolloutResult;
  it.each([
    [0, ''],
    [999, ''],
    [31_400, ' (cluster gz did not answer for 31 s on the way)'],
  ])('%i ms unreachable → "%s"', (ms, note) => {
    expect(outageNote('gz', result(ms))).toBe(note);
  });
});
