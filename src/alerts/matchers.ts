import type { Labels } from './model.ts';

/**
 * Label matchers as Alertmanager writes them: `name=value`, `name!=value`, `name=~regex`,
 * `name!~regex`. Regexes are anchored (the whole value must match), as in Alertmanager; a
 * label the alert lacks counts as the empty string, so `team!=infra` matches alerts without a
 * team. Pure: parsing returns a problem in words instead of throwing.
 */
export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
}

const LABEL = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_VALUE = 200;
const SHAPE = /^([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*)$/s;

export type ParsedMatcher = { readonly ok: true; readonly matcher: Matcher } | { readonly ok: false; readonly problem: string };

function unquote(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")))) return t.slice(1, -1).replace(/\\(.)/g, '$1');
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
    if (problem !== undefined) return { ok: false, problem: `${name}${op}${value}: ${problem}` };
  }
  return { ok: true, matcher };
}

export function regexProblem(source: string): string | undefined {
  try {
    new RegExp(`^(?:${source})$`);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : 'not a valid regular expression';
  }
}

export function isLabelName(s: string): boolean {
  return LABEL.test(s);
}

const compiled = new Map<string, RegExp>();
function regex(source: string): RegExp {
  let r = compiled.get(source);
  if (r === undefined) {
    r = new RegExp(`^(?:${source})$`);
    if (compiled.size > 5000) compiled.clear();
    compiled.set(source, r);
  }
  return r;
}

export function matches(m: Matcher, labels: Labels): boolean {
  const v = labels[m.name] ?? '';
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return regex(m.value).test(v);
    case '!~':
      return !regex(m.value).test(v);
  }
}

/** Every matcher must match (an empty list matches everything). */
export function matchesAll(ms: readonly Matcher[], labels: Labels): boolean {
  return ms.every((m) => matches(m, labels));
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

/** Escapes a literal for use inside an `=~` regex. */
export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
