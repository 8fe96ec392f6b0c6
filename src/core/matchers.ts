import { RE2JS } from 're2js';

/**
 * Label matchers as Alertmanager writes them: `name=value`, `name!=value`, `name=~regex`,
 * `name!~regex`. A label the alert lacks counts as the empty string, so `team!=infra` matches
 * alerts without a team. Pure: parsing returns a problem in words instead of throwing.
 *
 * Regexes come from chat (/subscribe), the config and alert payloads, so they run on RE2
 * (re2js, pure JavaScript): Alertmanager's own dialect, and time linear in the label's length.
 * JavaScript's RegExp backtracks: `(.*.*)*X` against a long label would hold the event loop
 * for hours. Anchored as Alertmanager anchors them, `^(?:regex)$`. Two bounds keep even
 * linear matching cheap: at most MAX_VALUE characters, and at most MAX_REGEX_PROGRAM
 * instructions once compiled (`(?:a|aa|aaa){50}){20}` is short but compiles to 10,000 and
 * takes a second per 10,000-character label).
 */
export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
}

type Labels = Readonly<Record<string, string>>;

const LABEL = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Longest value (and so regex) a matcher may have, in characters. */
export const MAX_VALUE = 200;
/** Largest compiled regex, in RE2 instructions. */
export const MAX_REGEX_PROGRAM = 1000;
const SHAPE = /^([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*)$/s;

export type ParsedMatcher = { readonly ok: true; readonly matcher: Matcher } | { readonly ok: false; readonly problem: string };

/**
 * A quoted value without its quotes. As in Alertmanager, only `\\` and an escaped quote are
 * escapes; any other backslash stays, so `"host\.example\.com"` keeps its regex escapes.
 */
function unquote(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")))) return t.slice(1, -1).replace(/\\(["'\\])/g, '$1');
  return t;
}

export function parseMatcher(text: string): ParsedMatcher {
  const m = SHAPE.exec(text.trim());
  if (m === null) return { ok: false, problem: `"${text}" is not a matcher such as severity=critical, env!=dev or app=~"web|api"` };
  const [, name = '', op = '=', raw = ''] = m;
  const value = unquote(raw);
  if (value.length > MAX_VALUE) return { ok: false, problem: `the value of ${name} is longer than ${MAX_VALUE} characters` };
  const matcher: Matcher = { name, op: op as MatchOp, value };
  if (op === '=~' || op === '!~') {
    const problem = regexProblem(value);
    // Named as typed (quoted, escapes as they are), so the person can find it.
    if (problem !== undefined) return { ok: false, problem: `${name}${op}"${value}": ${problem}` };
  }
  return { ok: true, matcher };
}

/** Repetition `{n}`, `{n,}` or `{n,m}` at the start of the text (RE2 reads anything else as literal). */
const COUNT = /^\{(\d{1,6})(,(\d{0,6}))?\}/;

/**
 * An estimate of the instructions RE2 compiles `source` to, from the text alone, so that a
 * pattern like `(?:\pL\pL…){1000}` (seconds to compile) is refused before it is compiled: an
 * atom counts one, a group the sum of its alternatives, and `{n,m}` multiplies what it repeats
 * by n + 2(m − n) (each optional copy costs a branch). Close to RE2's own count for the
 * patterns people write; the compiled program is checked exactly afterwards.
 */
export function regexSizeEstimate(source: string): number {
  const p = source;
  let i = 0;
  const repeat = (): number => {
    let factor = 1;
    for (;;) {
      const c = p[i];
      if (c === '*' || c === '+' || c === '?') {
        i++;
        factor += 1;
        continue;
      }
      const m = c === '{' ? COUNT.exec(p.slice(i)) : null;
      if (m === null) return factor;
      i += m[0].length;
      const n = Number(m[1]);
      const max = m[2] === undefined ? n : m[3] === '' ? n + 1 : Number(m[3]);
      factor *= Math.max(1, n + 2 * Math.max(0, max - n));
    }
  };
  const klass = (): void => {
    i++; // [
    if (p[i] === '^') i++;
    if (p[i] === ']') i++;
    while (i < p.length && p[i] !== ']') {
      if (p[i] === '\\') i++;
      else if (p.startsWith('[:', i)) {
        const end = p.indexOf(':]', i + 2);
        i = end < 0 ? p.length : end + 1;
      }
      i++;
    }
    i++; // ]
  };
  const escape = (): number => {
    i++; // backslash
    const e = p[i];
    if (e === 'Q') {
      const end = p.indexOf('\\E', i);
      const literal = (end < 0 ? p.length : end) - i - 1;
      i = end < 0 ? p.length : end + 2;
      return Math.max(1, literal);
    }
    if ((e === 'p' || e === 'P' || e === 'x') && p[i + 1] === '{') {
      const end = p.indexOf('}', i);
      i = end < 0 ? p.length : end + 1;
      return 1;
    }
    i += e === 'p' || e === 'P' ? 2 : 1;
    return 1;
  };
  const atom = (): number => {
    const c = p[i];
    if (c === '[') {
      klass();
      return 1;
    }
    if (c === '\\') return escape();
    if (c !== '(') {
      i++;
      return 1;
    }
    i++;
    if (p[i] === '?') {
      // (?:  (?P<name>  (?<name>  (?i:  or a bare flag group (?i)
      while (i < p.length && p[i] !== ':' && p[i] !== ')' && p[i] !== '>') i++;
      if (p[i] === ')') {
        i++;
        return 0;
      }
      i++;
    }
    const inner = alternation();
    if (p[i] === ')') i++;
    return inner + 1;
  };
  const sequence = (): number => {
    let total = 0;
    while (i < p.length && p[i] !== '|' && p[i] !== ')') {
      const a = atom();
      total += a * repeat();
    }
    return total;
  };
  function alternation(): number {
    let total = sequence();
    while (p[i] === '|') {
      i++;
      total += sequence() + 1;
    }
    return total;
  }
  let total = 0;
  while (i < p.length) {
    total += alternation();
    if (p[i] === ')') i++; // unbalanced: the compiler refuses it
  }
  return total;
}

/**
 * Instructions in the compiled program: what matching costs per character. re2js declares the
 * program (`re2Input.prog`) without a type, so it is read through this narrow shape.
 */
function programSize(re: RE2JS): number {
  const prog = re.re2Input.prog as { numInst?: () => unknown } | undefined;
  const n = prog?.numInst?.();
  if (typeof n !== 'number') throw new Error('re2js no longer exposes its compiled program size');
  return n;
}

type Compiled = { readonly ok: true; readonly re: RE2JS } | { readonly ok: false; readonly problem: string };

function syntaxProblem(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return `not a regular expression in RE2 syntax, which Alertmanager uses (${text.replace(/^error parsing regexp: /, '')})`;
}

/** `^(?:source)$` compiled, after the source compiles on its own (so `a)|(b` can't reach outside the anchors). */
function compileAnchored(source: string): Compiled {
  if (source.length > MAX_VALUE) return { ok: false, problem: `longer than ${MAX_VALUE} characters` };
  const estimate = regexSizeEstimate(source);
  if (estimate > 2 * MAX_REGEX_PROGRAM) return { ok: false, problem: `too complex: it would compile to about ${estimate} steps (at most ${MAX_REGEX_PROGRAM})` };
  try {
    RE2JS.compile(source);
    const re = RE2JS.compile(`^(?:${source})$`);
    const size = programSize(re);
    if (size > MAX_REGEX_PROGRAM) return { ok: false, problem: `too complex: it compiles to ${size} steps (at most ${MAX_REGEX_PROGRAM})` };
    return { ok: true, re };
  } catch (e) {
    return { ok: false, problem: syntaxProblem(e) };
  }
}

/** Why `source` can't be a matcher's regex, or undefined when it can. */
export function regexProblem(source: string): string | undefined {
  const c = compiled(source);
  return c.ok ? undefined : c.problem;
}

const cache = new Map<string, Compiled>();
function compiled(source: string): Compiled {
  let c = cache.get(source);
  if (c === undefined) {
    c = compileAnchored(source);
    if (cache.size > 5000) cache.clear();
    cache.set(source, c);
  }
  return c;
}

export function isLabelName(s: string): boolean {
  return LABEL.test(s);
}

/**
 * Whether the labels satisfy the matcher. A regex that does not compile (a subscription stored
 * before the RE2 check) matches nothing either way, so it delivers nothing rather than everything.
 */
export function matches(m: Matcher, labels: Labels): boolean {
  const v = labels[m.name] ?? '';
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
    case '!~': {
      const c = compiled(m.value);
      if (!c.ok) return false;
      return c.re.test(v) === (m.op === '=~');
    }
  }
}

/** Every matcher must match (an empty list matches everything). */
export function matchesAll(ms: readonly Matcher[], labels: Labels): boolean {
  return ms.every((m) => matches(m, labels));
}

/** Whether every matcher would parse as written (a stored one may predate a check). */
export function matchersValid(ms: readonly Matcher[]): boolean {
  return ms.every((m) => parseMatcher(formatMatcher(m)).ok);
}

/** As typed: `app=~"web|api"` (values quoted when they need it). */
export function formatMatcher(m: Matcher): string {
  const plain = /^[A-Za-z0-9_.:/@-]*$/.test(m.value) && m.value !== '';
  return `${m.name}${m.op}${plain ? m.value : JSON.stringify(m.value)}`;
}

/** A stable order, so the same set written differently compares equal. */
export function sortMatchers(ms: readonly Matcher[]): Matcher[] {
  return [...ms].sort((a, b) => a.name.localeCompare(b.name) || a.op.localeCompare(b.op) || a.value.localeCompare(b.value));
}

export function sameMatchers(a: readonly Matcher[], b: readonly Matcher[]): boolean {
  const x = sortMatchers(a).map(formatMatcher);
  const y = sortMatchers(b).map(formatMatcher);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Escapes a literal for use inside an `=~` regex (RE2's QuoteMeta). */
export function escapeRegex(s: string): string {
  return RE2JS.quote(s);
}
