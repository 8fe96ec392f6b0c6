import { describe, expect, it } from 'vitest';
import { RE2JS } from 're2js';
import { escapeRegex, formatMatcher, matches, matchesAll, parseMatcher, regexSizeEstimate, sameMatchers, type Matcher } from '../../../src/core/matchers.ts';

describe('parseMatcher', () => {
  it.each([
    ['severity=critical', { name: 'severity', op: '=', value: 'critical' }],
    ['env!=dev', { name: 'env', op: '!=', value: 'dev' }],
    ['app=~"web|api"', { name: 'app', op: '=~', value: 'web|api' }],
    ["team!~'infra.*'", { name: 'team', op: '!~', value: 'infra.*' }],
    ['instance = host:9100', { name: 'instance', op: '=', value: 'host:9100' }],
    ['x=', { name: 'x', op: '=', value: '' }],
    // Quoted values keep their regex escapes (only \\ and an escaped quote are escapes, as in Alertmanager).
    ['instance=~"host\\.example\\.com:\\d+"', { name: 'instance', op: '=~', value: 'host\\.example\\.com:\\d+' }],
    ['msg="say \\"hi\\""', { name: 'msg', op: '=', value: 'say "hi"' }],
    // RE2 syntax that JavaScript lacks.
    ['name=~"[[:alpha:]]+"', { name: 'name', op: '=~', value: '[[:alpha:]]+' }],
    ['name=~"(?i)disk.*"', { name: 'name', op: '=~', value: '(?i)disk.*' }],
  ] as const)('%s', (text, want) => {
    expect(parseMatcher(text)).toEqual({ ok: true, matcher: want });
  });

  it.each([
    ['no operator', 'is not a matcher'],
    ['9abc=1', 'is not a matcher'],
    ['=value', 'is not a matcher'],
    [`a=${'x'.repeat(201)}`, 'longer than 200 characters'],
    ['a=~(unclosed', 'a=~"(unclosed": not a regular expression in RE2 syntax, which Alertmanager uses (missing closing ): `(unclosed`)'],
    ['a=~"(?=x)y"', 'a=~"(?=x)y": not a regular expression in RE2 syntax, which Alertmanager uses (invalid or unsupported Perl syntax: `(?=`)'],
    ['a=~"(x)\\1"', 'a=~"(x)\\1": not a regular expression in RE2 syntax, which Alertmanager uses (invalid escape sequence: `\\1`)'],
    // Balanced inside the anchors only: `^(?:a)|(b)$` would match anything starting with a.
    ['a=~"a)|(b"', 'unexpected )'],
    ['a=~"x{1001}"', 'invalid repeat count'],
    ['a=~"(?:(?:a|aa|aaa|aaaa){50}){20}"', 'too complex'],
    [`a=~"(?:${'\\\\pL'.repeat(40)}){1000}"`, 'too complex'],
    ['a=~"(?:[a-z]{1,10}){100}"', 'too complex'],
  ])('refuses %s', (text, problem) => {
    const r = parseMatcher(text);
    expect(r.ok ? '' : r.problem).toContain(problem);
  });
});

describe('regexes run on RE2', () => {
  it('the pattern that backtracks for hours in JavaScript answers at once on a 10,000-character label', () => {
    const m = parseMatcher('alertname=~"(.*.*)*X"');
    if (!m.ok) throw new Error(m.problem);
    expect(matches(m.matcher, { alertname: 'a'.repeat(10_000) })).toBe(false);
    expect(matches(m.matcher, { alertname: `${'a'.repeat(10_000)}X` })).toBe(true);
  });

  it.each([
    // Anchored as Alertmanager anchors: ^(?:regex)$.
    ['app=~"web|api"', 'api', true],
    ['app=~"web|api"', 'webapp', false],
    ['app=~".*"', 'a\nb', false], // . does not match a newline (RE2, as in Alertmanager)
    ['app=~"(?s).*"', 'a\nb', true],
    ['app=~"\\d+"', '123', true],
    ['app!~"\\d+"', '12a', true],
  ])('%s on %j → %s', (text, value, want) => {
    const m = parseMatcher(text);
    if (!m.ok) throw new Error(m.problem);
    expect(matches(m.matcher, { app: value.replace('\\n', '\n') })).toBe(want);
  });

  it('a stored regex that no longer compiles matches nothing, with = and with !', () => {
    expect(matches({ name: 'a', op: '=~', value: '(?=x)' }, { a: 'x' })).toBe(false);
    expect(matches({ name: 'a', op: '!~', value: '(?=x)' }, { a: 'y' })).toBe(false);
  });

  it.each([['web'], ['web.api'], ['a|b(c)[d]*'], ['x+y?{1}^$\\']])('escapeRegex(%j) matches exactly itself', (s) => {
    const m: Matcher = { name: 'x', op: '=~', value: escapeRegex(s) };
    expect(matches(m, { x: s })).toBe(true);
    expect(matches(m, { x: `${s}!` })).toBe(false);
  });

  it.each([['web|api|worker'], ['[a-z0-9-]{1,63}'], ['.{1000}'], ['(?:[a-z]{1,10}){10}'], ['(?:a|aa|aaa|aaaa){30}'], ['\\Qa.b\\E+'], ['(?P<x>a)(?i:b)c*'], ['(?:(?:a|aa|aaa|aaaa){50}){20}']])(
    'the size estimate of %s is near what RE2 compiles (refusing above twice the cap by it refuses nothing the cap would take)',
    (source) => {
      const real = (RE2JS.compile(`^(?:${source})$`).re2Input.prog as { numInst(): number }).numInst();
      const estimate = regexSizeEstimate(source);
      expect(estimate).toBeLessThanOrEqual(1.5 * real + 10);
      expect(real).toBeLessThanOrEqual(estimate + 10);
    },
  );
});

describe('matches', () => {
  const labels = { alertname: 'HighErrorRate', env: 'prod', app: 'web', severity: 'critical' };
  it.each([
    ['env=prod', true],
    ['env=staging', false],
    ['env!=staging', true],
    ['app=~"web|api"', true],
    ['app=~we', false], // anchored: the whole value must match
    ['app!~"web|api"', false],
    ['team!=infra', true], // a missing label is ""
    ['team=', true],
    ['team=~.+', false],
    ['severity=~"crit.*"', true],
  ])('%s → %s', (text, want) => {
    const m = parseMatcher(text);
    if (!m.ok) throw new Error(m.problem);
    expect(matches(m.matcher, labels)).toBe(want);
  });

  it('every matcher must match; none matches everything', () => {
    const ms: Matcher[] = [
      { name: 'env', op: '=', value: 'prod' },
      { name: 'severity', op: '=', value: 'warning' },
    ];
    expect(matchesAll(ms, labels)).toBe(false);
    expect(matchesAll([], labels)).toBe(true);
  });
});

describe('formatMatcher / sameMatchers', () => {
  it.each([
    [{ name: 'env', op: '=', value: 'prod' }, 'env=prod'],
    [{ name: 'app', op: '=~', value: 'web|api' }, 'app=~"web|api"'],
    [{ name: 'team', op: '!=', value: '' }, 'team!=""'],
  ] as const)('%j → %s, and back', (m, text) => {
    expect(formatMatcher(m)).toBe(text);
    expect(parseMatcher(text)).toEqual({ ok: true, matcher: m });
  });

  it('order does not matter', () => {
    const a: Matcher[] = [
      { name: 'env', op: '=', value: 'prod' },
      { name: 'app', op: '=', value: 'web' },
    ];
    expect(sameMatchers(a, [...a].reverse())).toBe(true);
    expect(sameMatchers(a, a.slice(1))).toBe(false);
  });
});
