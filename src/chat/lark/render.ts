import type { Button, Field, Link, Message, MessageStatus } from '../../core/message.ts';
import { redactMessage } from '../../core/redact.ts';
import type { LarkButton, LarkCard, LarkColumnSet, LarkElement, LarkHeader, LarkMarkdown, LarkTemplate } from './card.ts';
import { LARK_BUTTON_TEXT_MAX_CHARS, LARK_CARD_BUDGET_BYTES, LARK_OVERFLOW_CHUNK_CHARS, cardBytes } from './limits.ts';

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
  readonly openIdOf: (person: string) => string | undefined;
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

/** A field shares its row with the next one when both are at most this long. */
const SHORT_FIELD_CHARS = 40;
const PROGRESS_CELLS = 20;

// ---------------------------------------------------------------------------------------------
// Escaping
// ---------------------------------------------------------------------------------------------

/**
 * Characters replaced by HTML numeric entities in user text, which Lark's markdown shows as the
 * characters themselves (the rich-text component docs say to escape special characters this
 * way, e.g. `<` → `&#60;`, `*` → `&#42;`):
 *
 * - `<` `>`: tags. `<at id=all></at>` would notify the whole chat, `<at id=ou_…>` anyone;
 *   `<font>`, `<link>`, `<text_tag>`, `<person>` would restyle or add links. `>` also starts a quote.
 * - `[` `]` `(` `)`: links `[label](url)` and images `![alt](key)`, so a reason cannot add a
 *   link with a misleading label.
 * - `&`: so that text that already looks like an entity (`&#60;at id=all&#62;`) stays literal
 *   instead of being decoded into the characters above.
 * - `*` `_` `~` `` ` ``: bold, italic, strikethrough and code (names like `my_app_v2` would
 *   otherwise turn italic).
 * - `#` (headings), `|` (tables), `\` (markdown's own escape), `:` (`:OK:` emoji shortcodes;
 *   also keeps `https://…` in user text from being turned into a link).
 * - At the start of a line only: `-`, `+`, `=` and the dot of `1.` (lists, rules `---`).
 */
const ENTITY: Readonly<Record<string, string>> = {
  '&': '&#38;',
  '<': '&#60;',
  '>': '&#62;',
  '[': '&#91;',
  ']': '&#93;',
  '(': '&#40;',
  ')': '&#41;',
  '*': '&#42;',
  _: '&#95;',
  '~': '&#126;',
  '`': '&#96;',
  '#': '&#35;',
  '|': '&#124;',
  '\\': '&#92;',
  ':': '&#58;',
};
const SPECIAL = /[&<>[\]()*_~`#|\\:]/g;
const LINE_START = /^([ \t]*)([-+=])/gm;
const LINE_START_ORDERED = /^([ \t]*\d+)\./gm;

/** User text as Lark card markdown that shows exactly this text, with no markup of its own. */
export function escapeLarkMarkdown(text: string): string {
  return text
    .replace(SPECIAL, (c) => ENTITY[c] ?? c)
    .replace(LINE_START, (_m, space: string, c: string) => `${space}&#${c.charCodeAt(0)};`)
    .replace(LINE_START_ORDERED, '$1&#46;');
}

/** One line of user text: line breaks become spaces, then escaped. */
function inline(text: string): string {
  return escapeLarkMarkdown(text.replace(/[ \t]*[\r\n]+[ \t]*/g, ' '));
}

/**
 * Overflow goes out as text replies, where Lark also reads tags (`<at user_id="all">`, `<b>`)
 * and `[label](url)` links. A zero-width space after `<` and between `]` and `(` keeps them
 * as text while showing the same characters.
 */
function neutraliseText(line: string): string {
  return line.replace(/<(?=[A-Za-z/!?])/g, '<\u200B').replace(/\](?=\()/g, ']\u200B');
}

// ---------------------------------------------------------------------------------------------
// Components
// ---------------------------------------------------------------------------------------------

function md(content: string, small = false): LarkMarkdown {
  return small ? { tag: 'markdown', content, text_size: 'notation' } : { tag: 'markdown', content };
}

function grey(content: string): string {
  return `<font color='grey'>${content}</font>`;
}

function headerOf(m: Message): LarkHeader {
  const style = STYLE[m.status];
  return { title: { tag: 'plain_text', content: `${style.mark} ${m.title}` }, template: style.template };
}

function fieldMd(f: Field): LarkMarkdown {
  return md(`**${inline(f.label)}**\n${inline(f.value)}`);
}

function isShort(f: Field): boolean {
  return f.value.length <= SHORT_FIELD_CHARS && f.label.length <= SHORT_FIELD_CHARS && !/[\r\n]/.test(f.value);
}

/** Short fields two to a row (a column_set of two equal columns), long ones on a row of their own. */
function fieldElements(fields: readonly Field[]): LarkElement[] {
  const out: LarkElement[] = [];
  for (let i = 0; i < fields.length; ) {
    const a = fields[i];
    const b = fields[i + 1];
    if (a === undefined) break;
    if (b !== undefined && isShort(a) && isShort(b)) {
      const row: LarkColumnSet = {
        tag: 'column_set',
        flex_mode: 'none',
        columns: [
          { tag: 'column', width: 'weighted', weight: 1, elements: [fieldMd(a)] },
          { tag: 'column', width: 'weighted', weight: 1, elements: [fieldMd(b)] },
        ],
      };
      out.push(row);
      i += 2;
    } else {
      out.push(fieldMd(a));
      i += 1;
    }
  }
  return out;
}

function progressElement(p: NonNullable<Message['progress']>): LarkMarkdown {
  const total = Number.isFinite(p.total) && p.total > 0 ? p.total : 0;
  const done = Number.isFinite(p.done) ? Math.min(Math.max(p.done, 0), total) : 0;
  const filled = total === 0 ? 0 : Math.round((done / total) * PROGRESS_CELLS);
  const label = p.label === undefined || p.label === '' ? '' : ` ${inline(p.label)}`;
  return md(`**Progress** ${'█'.repeat(filled)}${'░'.repeat(PROGRESS_CELLS - filled)} ${p.done}/${p.total}${label}`);
}

const SAFE_URL = /^https?:\/\/[^\s<>"'`]+$/i;

function linkMd(l: Link): string {
  if (!SAFE_URL.test(l.url)) return `${inline(l.label)}${escapeLarkMarkdown(': ')}${inline(l.url)}`;
  const url = l.url.replaceAll('(', '%28').replaceAll(')', '%29');
  return `[${inline(l.label)}](${url})`;
}

/** An open_id we are willing to put in `<at id=…>`: never `all`, nothing that could close the tag. */
const OPEN_ID = /^[A-Za-z0-9_-]{1,128}$/;

function mentionMd(person: string, opts: LarkRenderOptions): string {
  const id = opts.openIdOf(person);
  if (id !== undefined && OPEN_ID.test(id) && id.toLowerCase() !== 'all') return `<at id=${id}></at>`;
  return inline(`@${person}`);
}

function buttonOf(b: Button): LarkButton {
  const label = b.label.length > LARK_BUTTON_TEXT_MAX_CHARS ? `${b.label.slice(0, LARK_BUTTON_TEXT_MAX_CHARS - 1)}…` : b.label;
  const base: LarkButton = {
    tag: 'button',
    text: { tag: 'plain_text', content: label },
    type: b.style ?? 'default',
    behaviors: [{ type: 'callback', value: { action: b.action, value: b.value } }],
  };
  if (b.confirm === undefined) return base;
  return { ...base, confirm: { title: { tag: 'plain_text', content: label }, text: { tag: 'plain_text', content: b.confirm } } };
}

function buttonRow(buttons: readonly Button[]): LarkColumnSet {
  return { tag: 'column_set', flex_mode: 'none', columns: buttons.map((b) => ({ tag: 'column', width: 'auto', elements: [buttonOf(b)] })) };
}

/** Links, mentions, buttons and context: the part after the sections. */
function tailElements(m: Message, opts: LarkRenderOptions): LarkElement[] {
  const out: LarkElement[] = [];
  if (m.links.length > 0) out.push(md(m.links.map(linkMd).join(' · ')));
  out.push(...mentionElements(m, opts));
  if (m.buttons.length > 0) out.push(buttonRow(m.buttons));
  if (m.context.length > 0) {
    out.push({ tag: 'hr' });
    out.push(md(grey(m.context.map(inline).join(' · ')), true));
  }
  return out;
}

function mentionElements(m: Message, opts: LarkRenderOptions): LarkElement[] {
  const people = m.mentions ?? [];
  return people.length > 0 ? [md(`Notifying: ${people.map((p) => mentionMd(p, opts)).join(' ')}`)] : [];
}

// ---------------------------------------------------------------------------------------------
// Sections and cutting
// ---------------------------------------------------------------------------------------------

type Section = NonNullable<Message['sections']>[number];

function sectionMd(heading: string | undefined, lines: readonly string[], more: number): LarkMarkdown | undefined {
  const parts: string[] = [];
  if (heading !== undefined && heading !== '') parts.push(`**${inline(heading)}**`);
  for (const l of lines) parts.push(inline(l));
  if (more > 0) parts.push(grey(`… ${more} more line${more === 1 ? '' : 's'} below`));
  return parts.length > 0 ? md(parts.join('\n')) : undefined;
}

function lineCount(sections: readonly Section[]): number {
  return sections.reduce((n, s) => n + s.lines.length, 0);
}

/** The sections with only the first `keep` lines (over all sections, in order), and the note where cut. */
function sectionElements(sections: readonly Section[], keep: number): LarkElement[] {
  const total = lineCount(sections);
  const out: LarkElement[] = [];
  let start = 0;
  for (const s of sections) {
    if (start + s.lines.length <= keep) {
      const e = sectionMd(s.heading, s.lines, 0);
      if (e !== undefined) out.push(e);
      start += s.lines.length;
      continue;
    }
    const e = sectionMd(s.heading, s.lines.slice(0, keep - start), total - keep);
    if (e !== undefined) out.push(e);
    break;
  }
  return out;
}

/**
 * The section lines after the first `keep`, as plain text, with headings for context: exactly
 * what `sectionElements(sections, keep)` left out.
 */
function sectionRest(sections: readonly Section[], keep: number): string[] {
  const out: string[] = [];
  let start = 0;
  for (const s of sections) {
    const end = start + s.lines.length;
    if (end > keep) {
      const from = Math.max(0, keep - start);
      if (s.heading !== undefined && s.heading !== '') out.push(from > 0 ? `${s.heading} (continued):` : `${s.heading}:`);
      out.push(...s.lines.slice(from));
    }
    start = end;
  }
  return out;
}

/** Lines joined into chunks of at most `max` characters; a longer line is split. */
export function chunkLines(lines: readonly string[], max: number = LARK_OVERFLOW_CHUNK_CHARS): string[] {
  const chunks: string[] = [];
  let current: string | undefined;
  const flush = (): void => {
    if (current !== undefined) chunks.push(current);
    current = undefined;
  };
  for (const line of lines) {
    if (line.length > max) {
      flush();
      chunks.push(...splitLong(line, max));
      continue;
    }
    if (current === undefined) current = line;
    else if (current.length + 1 + line.length <= max) current += `\n${line}`;
    else {
      flush();
      current = line;
    }
  }
  flush();
  return chunks;
}

/** Splits at `max` code units, never inside a surrogate pair. */
function splitLong(line: string, max: number): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    let end = Math.min(i + max, line.length);
    const last = line.charCodeAt(end - 1);
    if (end < line.length && end - i > 1 && last >= 0xd800 && last <= 0xdbff) end -= 1;
    out.push(line.slice(i, end));
    i = end;
  }
  return out;
}

/** Everything but the title, buttons and mentions as plain text, for the too-big-for-a-card case. */
function plainBody(m: Message): string[] {
  const out: string[] = [];
  if (m.text !== undefined && m.text !== '') out.push(...m.text.split(/\r?\n/));
  for (const f of m.fields) out.push(`${f.label}: ${f.value}`);
  if (m.progress !== undefined) out.push(`Progress: ${m.progress.done}/${m.progress.total}${m.progress.label === undefined ? '' : ` ${m.progress.label}`}`);
  for (const s of m.sections ?? []) {
    if (s.heading !== undefined && s.heading !== '') out.push(`${s.heading}:`);
    out.push(...s.lines);
  }
  for (const l of m.links) out.push(`${l.label}: ${l.url}`);
  out.push(...m.context);
  return out;
}

function cardOf(m: Message, body: LarkElement[]): LarkCard {
  return { schema: '2.0', config: { update_multi: true }, header: headerOf(m), body: { elements: body } };
}

export function renderLarkCard(message: Message, opts: LarkRenderOptions): LarkRendered {
  // No credentials inside a URL (a link template's, a probe's) ever reach chat.
  const m = redactMessage(message);
  const head: LarkElement[] = [];
  if (m.text !== undefined && m.text !== '') head.push(md(escapeLarkMarkdown(m.text)));
  head.push(...fieldElements(m.fields));
  if (m.progress !== undefined) head.push(progressElement(m.progress));
  const tail = tailElements(m, opts);
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
    return { card: withLines(lo), overflow: chunkLines(sectionRest(sections, lo).map(neutraliseText)) };
  }

  const note = md(grey('This message is too long for a card; it continues in the replies below.'));
  const minimal: LarkElement[] = [note, ...mentionElements(m, opts)];
  if (m.buttons.length > 0) minimal.push(buttonRow(m.buttons));
  return { card: cardOf(m, minimal), overflow: chunkLines(plainBody(m).map(neutraliseText)) };
}
