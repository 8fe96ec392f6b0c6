import type { Message, MessageStatus } from '../../core/message.ts';
import { redactMessage } from '../../core/redact.ts';
import { chunkLines } from '../text-cut.ts';
import type { LarkCard, LarkElement, LarkHeader, LarkTemplate } from './card.ts';
import { LARK_CARD_BUDGET_BYTES, LARK_OVERFLOW_CHUNK_CHARS, cardBytes } from './limits.ts';
import { escapeLarkMarkdown, grey, md, neutraliseText } from './markdown.ts';
import { buttonRow, fieldElements, mentionElements, progressElement, tailElements, type OpenIdOf } from './render-parts.ts';
import { lineCount, plainBody, sectionElements, sectionRest } from './sections.ts';

/**
 * Renders the neutral message as a Lark/Feishu card (JSON 2.0). Pure and deterministic: the
 * same message and options give the same card, byte for byte.
 *
 * Layout: header (status mark + title, colour by status); body: text, fields (short ones two
 * to a row in a column_set), a progress bar, sections (bold heading + lines), links, mentions,
 * buttons (one row of columns), then a rule and the context as small grey print.
 *
 * Size: a card's JSON must stay within Lark's 30 KB; we aim under 28 KB. When it would not fit,
 * section lines are cut at a line boundary: the card says "… N more lines below" and the rest
 * goes to `overflow`, ordered text chunks of at most 4,000 characters to send as replies.
 * Every section line ends up exactly once in the card or the overflow. Should even the card
 * without any section line be too big (an enormous text or field), the card keeps the header,
 * mentions and buttons, and everything else goes to the overflow.
 */

export interface LarkRenderOptions {
  /** The person's Lark open_id (ou_…) from config, for an at-mention; undefined: plain name. */
  readonly openIdOf: OpenIdOf;
}

export interface LarkRendered {
  readonly card: LarkCard;
  /** Plain-text chunks (≤ 4,000 characters each, in order) to send as replies; usually empty. */
  readonly overflow: string[];
}

const STYLE: Readonly<Record<MessageStatus, { readonly mark: string; readonly template: LarkTemplate }>> = {
  info: { mark: 'ℹ', template: 'wathet' },
  pending: { mark: '…', template: 'turquoise' },
  needs_approval: { mark: '⏳', template: 'orange' },
  running: { mark: '▶', template: 'blue' },
  paused: { mark: '⏸', template: 'yellow' },
  succeeded: { mark: '✔', template: 'green' },
  failed: { mark: '✖', template: 'red' },
  denied: { mark: '⛔', template: 'grey' },
  error: { mark: '✖', template: 'red' },
};

function headerOf(m: Message): LarkHeader {
  const style = STYLE[m.status];
  return { title: { tag: 'plain_text', content: `${style.mark} ${m.title}` }, template: style.template };
}

function cardOf(m: Message, body: LarkElement[]): LarkCard {
  return { schema: '2.0', config: { update_multi: true }, header: headerOf(m), body: { elements: body } };
}

/** Lines as reply chunks: neutralised for Lark's text messages, at most 4,000 characters each. */
function replies(lines: readonly string[]): string[] {
  return chunkLines(lines.map(neutraliseText), LARK_OVERFLOW_CHUNK_CHARS);
}

export function renderLarkCard(message: Message, opts: LarkRenderOptions): LarkRendered {
  // No credentials inside a URL (a link template's, a probe's) ever reach chat.
  const m = redactMessage(message);
  const head: LarkElement[] = [];
  if (m.text !== undefined && m.text !== '') head.push(md(escapeLarkMarkdown(m.text)));
  head.push(...fieldElements(m.fields));
  if (m.progress !== undefined) head.push(progressElement(m.progress));
  const tail = tailElements(m, opts.openIdOf);
  const sections = m.sections ?? [];
  const total = lineCount(sections);
  const withLines = (keep: number): LarkCard => cardOf(m, [...head, ...sectionElements(sections, keep), ...tail]);

  const full = withLines(total);
  if (cardBytes(full) <= LARK_CARD_BUDGET_BYTES) return { card: full, overflow: [] };

  // The size only grows with the number of lines kept: find the most that fit.
  if (cardBytes(withLines(0)) <= LARK_CARD_BUDGET_BYTES) {
    let lo = 0;
    let hi = total - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (cardBytes(withLines(mid)) <= LARK_CARD_BUDGET_BYTES) lo = mid;
      else hi = mid - 1;
    }
    return { card: withLines(lo), overflow: replies(sectionRest(sections, lo)) };
  }

  const note = md(grey('This message is too long for a card; it continues in the replies below.'));
  const minimal: LarkElement[] = [note, ...mentionElements(m, opts.openIdOf)];
  if (m.buttons.length > 0) minimal.push(buttonRow(m.buttons));
  return { card: cardOf(m, minimal), overflow: replies(plainBody(m)) };
}
