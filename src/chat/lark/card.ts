/**
 * The subset of Lark/Feishu card JSON 2.0 the bot emits, typed by us: the SDK's own types
 * (`InteractiveCard`) describe 1.0 cards only. Card JSON 2.0 rejects unknown properties, so
 * these types list exactly the properties we send and nothing else; optional ones are left
 * out of the object rather than set to `undefined`.
 *
 * Shapes follow the card JSON 2.0 structure and component pages on open.feishu.cn (release
 * notes "卡片 JSON 2.0 版本更新说明"; header/title, markdown (rich text), column_set, button
 * and hr components). Only components we could confirm are used: no `div.fields`, no `note`
 * (1.0 only), no `action` module (removed in 2.0).
 */

/** Header colours (`header.template`). */
export type LarkTemplate = 'blue' | 'wathet' | 'turquoise' | 'green' | 'yellow' | 'orange' | 'red' | 'carmine' | 'violet' | 'purple' | 'indigo' | 'grey' | 'default';

/** Text shown as is: no markdown, no mentions. */
export interface LarkPlainText {
  readonly tag: 'plain_text';
  readonly content: string;
}

export interface LarkHeader {
  readonly title: LarkPlainText;
  readonly template: LarkTemplate;
}

/** Lark-flavoured markdown; user text in it must be escaped (see markdown.ts). */
export interface LarkMarkdown {
  readonly tag: 'markdown';
  readonly content: string;
  /** `notation` is the small (12px) size used for fine print. */
  readonly text_size?: 'normal' | 'notation';
}

export interface LarkHr {
  readonly tag: 'hr';
}

/** What a click sends back in `card.action.trigger` as `action.value`: kept small on purpose. */
export interface LarkButtonValue {
  readonly action: string;
  /** An opaque id (approval id, operation id). */
  readonly value: string;
}

export interface LarkCallbackBehavior {
  readonly type: 'callback';
  readonly value: LarkButtonValue;
}

/** The dialog shown before a click is sent (`button.confirm`). */
export interface LarkConfirm {
  readonly title: LarkPlainText;
  readonly text: LarkPlainText;
}

export interface LarkButton {
  readonly tag: 'button';
  readonly text: LarkPlainText;
  readonly type: 'default' | 'primary' | 'danger';
  readonly behaviors: readonly [LarkCallbackBehavior];
  readonly confirm?: LarkConfirm;
}

export interface LarkColumn {
  readonly tag: 'column';
  /** `auto`: as wide as the content; `weighted`: a share (`weight`) of the row. */
  readonly width: 'auto' | 'weighted';
  readonly weight?: number;
  readonly elements: readonly (LarkMarkdown | LarkButton)[];
}

export interface LarkColumnSet {
  readonly tag: 'column_set';
  /** `none`: columns keep their widths and shrink in proportion on narrow screens. */
  readonly flex_mode: 'none';
  readonly horizontal_spacing?: string;
  readonly columns: readonly LarkColumn[];
}

export type LarkElement = LarkMarkdown | LarkHr | LarkColumnSet;

export interface LarkCard {
  readonly schema: '2.0';
  /** 2.0 cards are always shared cards: `update_multi` can only be true. */
  readonly config: { readonly update_multi: true };
  readonly header: LarkHeader;
  readonly body: { readonly elements: readonly LarkElement[] };
}
