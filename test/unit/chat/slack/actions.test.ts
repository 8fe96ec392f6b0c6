import { describe, expect, it } from 'vitest';
import { CLICK_HANDLERS } from '../../../../src/chat/inbound.ts';
import { ACTION_ID } from '../../../../src/chat/slack/commands.ts';

/**
 * Every button action a message can carry has a click handler, and the Slack app listens to
 * its action id (with and without the "-N" a renderer adds to keep ids unique). An action the
 * pattern does not match would render as a button that does nothing when clicked.
 */
describe('Slack button actions', () => {
  it.each(Object.keys(CLICK_HANDLERS))('%s is an action id the Slack app listens to', (action) => {
    expect(ACTION_ID.test(action)).toBe(true);
    expect(ACTION_ID.test(`${action}-2`)).toBe(true);
  });
});
