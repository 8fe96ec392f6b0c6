/**
 * A button's action id. Some platforms (Slack) need action ids unique within a message, so a
 * repeated action is sent as "approve-2", "approve-3"…; a click's id loses that suffix again
 * before it is looked up. One rule for both directions, for every adapter.
 */
const SUFFIX = /-\d+$/;

/** The id of the `n`-th (n ≥ 2) button of the same action in one message. */
export function repeatedActionId(action: string, n: number): string {
  return `${action}-${n}`;
}

/** What a button's action id stands for: the action without its repeat suffix. */
export function actionOf(actionId: string): string {
  return actionId.replace(SUFFIX, '');
}
