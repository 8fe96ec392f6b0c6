/**
 * The few Slack Block Kit shapes the renderer emits, typed here so the renderer (and its
 * golden files) stay free of any @slack/* dependency. Field names are Slack's, so a value of
 * these types is the JSON sent as `blocks`. Reference: https://docs.slack.dev/reference/block-kit
 */

export interface PlainText {
  readonly type: 'plain_text';
  readonly text: string;
  /** Turn :shortcodes: into emoji. */
  readonly emoji?: boolean;
}

export interface Mrkdwn {
  readonly type: 'mrkdwn';
  /** Slack's mrkdwn; every user-supplied part is escaped (& < >) before it gets here. */
  readonly text: string;
}

export type TextObject = PlainText | Mrkdwn;

export interface HeaderBlock {
  readonly type: 'header';
  readonly block_id: string;
  /** ≤150 chars. */
  readonly text: PlainText;
}

export interface SectionBlock {
  readonly type: 'section';
  readonly block_id: string;
  /** 1–3000 chars. */
  readonly text?: Mrkdwn;
  /** ≤10 items of ≤2000 chars each. */
  readonly fields?: readonly Mrkdwn[];
}

export interface DividerBlock {
  readonly type: 'divider';
  readonly block_id: string;
}

export interface ContextBlock {
  readonly type: 'context';
  readonly block_id: string;
  /** ≤10 elements. */
  readonly elements: readonly Mrkdwn[];
}

/** The "are you sure?" dialog a button can open before its click is sent. */
export interface ConfirmDialog {
  /** ≤100 chars. */
  readonly title: PlainText;
  /** ≤300 chars. */
  readonly text: PlainText;
  /** ≤30 chars. */
  readonly confirm: PlainText;
  /** ≤30 chars. */
  readonly deny: PlainText;
  readonly style?: 'primary' | 'danger';
}

export interface ButtonElement {
  readonly type: 'button';
  /** ≤255 chars, unique within its block. */
  readonly action_id: string;
  /** ≤75 chars. */
  readonly text: PlainText;
  /** ≤2000 chars. */
  readonly value: string;
  readonly style?: 'primary' | 'danger';
  readonly confirm?: ConfirmDialog;
}

export interface ActionsBlock {
  readonly type: 'actions';
  readonly block_id: string;
  /** ≤25 elements. */
  readonly elements: readonly ButtonElement[];
}

export type Block = HeaderBlock | SectionBlock | DividerBlock | ContextBlock | ActionsBlock;
