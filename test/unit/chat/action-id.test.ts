import { describe, expect, it } from 'vitest';
import { actionOf, repeatedActionId } from '../../../src/chat/action-id.ts';

describe('action ids', () => {
  it.each([
    ['approve', 'approve'],
    ['approve-2', 'approve'],
    ['approve-13', 'approve'],
    ['silence_1h', 'silence_1h'],
    ['abort_rollback', 'abort_rollback'],
    ['apply_suggestion', 'apply_suggestion'],
  ])('%s stands for %s', (id, action) => {
    expect(actionOf(id)).toBe(action);
  });

  it('a repeated id comes back to its action', () => {
    for (const n of [2, 3, 10]) expect(actionOf(repeatedActionId('reject', n))).toBe('reject');
  });
});
