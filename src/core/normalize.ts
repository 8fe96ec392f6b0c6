/**
 * Chat text arrives decorated: Slack wraps links and mentions in <...> markup and escapes
 * &<>, Lark replaces mentions with @_user_N keys, phones insert smart quotes, and Chinese
 * keyboards type full-width punctuation. Everything is folded here so that the parser only
 * ever sees plain ASCII punctuation, and a command means the same however it was typed.
 */

export interface NormalizeOptions {
  /** Lark mention keys (`@_user_1`) to the name or id they stand for. */
  readonly mentions?: Readonly<Record<string, string>>;
}

const SLACK_MARKUP = /<([^<>]*)>/g;
const DOUBLE_QUOTES = /[\u201C\u201D\u201E\u201F\u2033\u301D\u301E\u301F\uFF02\u300C\u300D\u300E\u300F\u00AB\u00BB]/g;
const SINGLE_QUOTES = /[\u2018\u2019\u201A\u201B\u2032\u0060\u00B4]/g;
const ZERO_WIDTH = /\u200B|\u200C|\u200D|\u2060|\uFEFF|\u00AD/g;
// NFKC folds most full-width forms; these CJK marks have no compatibility mapping.
const CJK_PUNCT: Readonly<Record<string, string>> = { '\u3001': ',', '\u3002': '.', '\uFF61': '.', '\uFF64': ',' };
const DASH_FLAG = /(^|\s)[\u2012\u2013\u2014\u2015\u2212\uFE58\uFE63\uFF0D]{1,2}(?=[A-Za-z])/g;
const SPACES = /[\s\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+/g;

function slackMarkup(inner: string): string {
  // <@U123> and <@U123|alice>: user mentions; keep the id, it is what config maps.
  if (inner.startsWith('@')) return '@' + (inner.slice(1).split('|')[0] ?? '');
  // <#C123|general>: channel mentions; the readable name when Slack gives it.
  if (inner.startsWith('#')) {
    const [id, name] = inner.slice(1).split('|');
    return '#' + (name ?? id ?? '');
  }
  // <!here>, <!channel>, <!subteam^S1|@team>
  if (inner.startsWith('!')) {
    const [special, label] = inner.slice(1).split('|');
    return label ?? '@' + (special ?? '').split('^')[0];
  }
  // <https://x|label>: the user typed the label (Slack auto-linked it); <https://x>: the url.
  const bar = inner.indexOf('|');
  if (bar >= 0) return inner.slice(bar + 1);
  return inner.replace(/^mailto:/, '');
}

function decodeSlackEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

export function normalizeChatText(text: string, options: NormalizeOptions = {}): string {
  let s = text.replace(SLACK_MARKUP, (_m, inner: string) => slackMarkup(inner));
  s = decodeSlackEntities(s);
  const mentions = options.mentions;
  if (mentions !== undefined) {
    s = s.replace(/@_user_\d+|@_all/g, (key) => {
      const who = mentions[key];
      return who === undefined ? key : '@' + who.replace(/^@/, '');
    });
  }
  s = s.replace(ZERO_WIDTH, '');
  s = s.replace(DOUBLE_QUOTES, '"').replace(SINGLE_QUOTES, "'");
  s = s.normalize('NFKC');
  s = s.replace(/[\u3001\u3002\uFF61\uFF64]/g, (c) => CJK_PUNCT[c] ?? c);
  // Autocorrect turns "--reason" into "—reason"; undo it where a flag is meant.
  s = s.replace(DASH_FLAG, '$1--');
  s = s.replace(SPACES, ' ').trim();
  // People put a space after a comma in a list ("apps=web, api", "batches=10%, 50%, 100%"):
  // after a key= word the next word continues the list unless it starts an argument of its own.
  s = outsideQuotes(s, joinListItems);
  // Chinese keyboards separate arguments with "，": a comma before a key=, a flag or a space
  // ends an argument. Inside quotes it is left alone, and "web,api" stays a list.
  s = outsideQuotes(s, (part) => part.replace(/,(?: |(?=[A-Za-z][\w-]*=|--[A-Za-z]))/g, ' ').replace(/,$/, ' '));
  s = s.replace(/ {2,}/g, ' ').trim();
  // A sentence-final full stop typed after the command ("... to prod。") is not part of it.
  s = s.replace(/(?<=\S)\.$/, (dot, offset: number, whole: string) => (isSentenceStop(whole, offset) ? '' : dot));
  return s;
}

/** A trailing "." after a plain word is punctuation; in "v1.4." it is still punctuation. */
function isSentenceStop(whole: string, offset: number): boolean {
  const before = whole.slice(0, offset);
  const quotes = (before.match(/"/g) ?? []).length;
  return quotes % 2 === 0;
}

const KEYED_WORD = /^[A-Za-z][\w-]*=/;
/** The connector words of the grammar (commands/: in, to, on, for): they start an argument. */
const CONNECTORS: ReadonlySet<string> = new Set(['in', 'to', 'on', 'for']);

/** Whether a word begins an argument of its own rather than continuing a list before it. */
function startsArgument(word: string): boolean {
  return word === '' || KEYED_WORD.test(word) || word.startsWith('-') || word.startsWith('@') || CONNECTORS.has(word.toLowerCase());
}

/**
 * "apps=web, api" → "apps=web,api": a key= word ending in a comma takes the next word as its
 * next item. One pass over the words (no backtracking on what people type).
 */
function joinListItems(part: string): string {
  if (!part.includes(', ')) return part;
  const out: string[] = [];
  for (const word of part.split(' ')) {
    const last = out.length - 1;
    const prev = out[last];
    if (prev !== undefined && prev.endsWith(',') && KEYED_WORD.test(prev) && !startsArgument(word)) out[last] = prev + word;
    else out.push(word);
  }
  return out.join(' ');
}

/** Applies `fn` to the parts of `s` that are not inside double quotes. */
function outsideQuotes(s: string, fn: (part: string) => string): string {
  const parts = s.split('"');
  return parts.map((p, i) => (i % 2 === 0 ? fn(p) : p)).join('"');
}
