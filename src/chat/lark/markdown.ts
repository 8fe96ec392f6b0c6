import type { LarkMarkdown } from './card.ts';

/**
 * Text as Lark card markdown and as Lark text replies, showing exactly what the user wrote:
 * nothing in a reason or an app name may mention everyone, add a link or restyle the card.
 */

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
export function inline(text: string): string {
  return escapeLarkMarkdown(text.replace(/[ \t]*[\r\n]+[ \t]*/g, ' '));
}

/**
 * Overflow goes out as text replies, where Lark also reads tags (`<at user_id="all">`, `<b>`)
 * and `[label](url)` links. A zero-width space after `<` and between `]` and `(` keeps them
 * as text while showing the same characters.
 */
export function neutraliseText(line: string): string {
  return line.replace(/<(?=[A-Za-z/!?])/g, '<\u200B').replace(/\](?=\()/g, ']\u200B');
}

export function md(content: string, small = false): LarkMarkdown {
  return small ? { tag: 'markdown', content, text_size: 'notation' } : { tag: 'markdown', content };
}

export function grey(content: string): string {
  return `<font color='grey'>${content}</font>`;
}
