import { describe, expect, it } from 'vitest';
import { formatMatcher, matches, matchesAll, parseMatcher, sameMatchers, type Matcher } from '../../../src/alerts/matchers.ts';

describe('parseMatcher', () => {
  it.each([
    ['severity=critical', { name: 'severity', op: '=', value: 'critical' }],
    ['env!=dev', { name: 'env', op: '!=', value: 'dev' }],
    ['app=~"web|api"', { name: 'app', op: '=~', value: 'web|api' }],
    ["team!~'infra.*'", { name: 'team', op: '!~', value: 'infra.*' }],
    ['instance = host:9100', { name: 'instance', op: '=', value: 'host:9100' }],
    ['x=', { name: 'x', op: '=', value: '' }],
  ] as const)('%s', (text, want) => {
    expect(parseMatcher(text)).toEqual({ ok: true, matcher: want });
  });

  it.each([['no operator'], ['9abc=1'], ['a=~(unclosed'], ['=value'], [`a=${'x'.repeat(201)}`]])('refuses %s', (text) => {
    const r = parseMatcher(text);
    expect(r.ok).toBe(false);
  });
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
