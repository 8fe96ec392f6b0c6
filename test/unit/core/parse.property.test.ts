import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commands } from '../../../commands/index.ts';
import { USAGE_ERROR_CODES } from '../../../src/core/errors.ts';
import { parseCommand, renderCanonical } from '../../../src/core/parse.ts';

/**
 * Properties of the parser over many generated lines. No blanket try/catch: an exception
 * anywhere fails the property with the line that caused it.
 */
const CODES = new Set<string>(USAGE_ERROR_CODES);
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

const nameArb = fc.oneof(
  fc.constantFrom('web', 'api', 'worker', 'prod', 'staging', 'dev', 'gz-prod', 'nj-prod', 'cache'),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/),
).filter((n) => !['in', 'to', 'on', 'for'].includes(n)); // the connector words are not names
const tagArb = fc.oneof(fc.constantFrom('v1.4.2', 'latest', '2.1', 'v2.0.0-rc.1', 'release_7'), fc.stringMatching(/^v[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,3}$/));
const imageArb = fc.tuple(fc.constantFrom('registry.example.com', 'localhost:5000', 'ghcr.io'), fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), tagArb).map(([r, p, t]) => `${r}/${p}:${t}`);
const digestArb = fc.stringMatching(/^[a-f0-9]{64}$/).map((h) => `@sha256:${h}`);
// Reasons as people write them, in several scripts, without quote characters.
const reasonArb = fc.oneof(
  fc.constantFrom('hotfix for login', '热修复 登录', 'rollback after errors', 'ticket OPS-1234', 'fix, then continue'),
  fc.stringMatching(/^[A-Za-z0-9 .,:;!?()-]{1,30}$/).filter((s) => s.trim() !== ''),
);
const durationArb = fc.constantFrom('30m', '2h', '1h30m', '90s', '1d');

/** Valid command lines in the shapes people type, positional and key=value mixed. */
const lineArb: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(nameArb, fc.oneof(tagArb, imageArb, digestArb), nameArb, fc.option(nameArb, { nil: undefined }), fc.option(reasonArb, { nil: undefined }), fc.boolean()).map(
    ([app, ref, env, cluster, reason, keyed]) =>
      (keyed ? `/deploy ${app} image=${ref} env=${env}` : `/deploy ${app} ${ref} to ${env}`) +
      (cluster === undefined ? '' : ` cluster=${cluster}`) +
      (reason === undefined ? '' : ` --reason "${reason}"`),
  ),
  fc.tuple(nameArb, fc.nat(500), nameArb, fc.boolean()).map(([app, n, env, keyed]) => (keyed ? `/scale ${app} replicas=${n} env=${env}` : `/scale ${app} ${n} in ${env}`)),
  fc.tuple(nameArb, nameArb, fc.option(fc.oneof(fc.integer({ min: 1, max: 999 }).map(String), tagArb), { nil: undefined })).map(
    ([app, env, to]) => `/rollback ${app} in ${env}` + (to === undefined ? '' : ` to ${to}`),
  ),
  fc.tuple(imageArb, fc.uniqueArray(nameArb, { minLength: 1, maxLength: 4 }), nameArb, fc.constantFrom('gz,nj,tj,hk', '10%,50%,100%', '25%,100%', 'web+api,worker'), fc.constantFrom('manual', 'auto')).map(
    ([image, apps, env, batches, gate]) => `/upgrade ${image} apps=${apps.join(',')} env=${env} batches=${batches} gate=${gate}`,
  ),
  fc.tuple(nameArb, fc.option(nameArb, { nil: undefined }), fc.option(durationArb, { nil: undefined }), fc.option(reasonArb, { nil: undefined })).map(
    ([target, env, dur, reason]) => `/lock ${target}` + (env === undefined ? '' : ` in ${env}`) + (dur === undefined ? '' : ` for ${dur}`) + (reason === undefined ? '' : ` --reason "${reason}"`),
  ),
  fc.tuple(fc.constantFrom('alerts', 'operations', 'all'), nameArb, fc.uniqueArray(nameArb, { minLength: 1, maxLength: 3 })).map(([t, env, apps]) => `/subscribe ${t} env=${env} apps=${apps.join(',')}`),
  fc.tuple(fc.constantFrom('continue', 'retry', 'abort', 'approve', 'reject', 'cancel'), fc.stringMatching(/^op-[a-f0-9]{6}$/)).map(([v, id]) => `/${v} ${id}`),
  fc.tuple(fc.constantFrom('status', 'history', 'diagnose', 'revisions'), nameArb, nameArb).map(([v, app, env]) => `/${v} ${app} in ${env}`),
  fc.tuple(nameArb, nameArb, fc.constantFrom('cpu=50%', 'memory=512Mi', 'cpu=250m', 'metric="sum by (pod) (rate(http_requests_total[1m]))" target=100')).map(([app, env, basis]) => `/scale ${app} in ${env} suggest ${basis}`),
  fc.tuple(nameArb, nameArb, fc.integer({ min: 1, max: 50 }), fc.nat(50), fc.constantFrom('cpu=50%', 'memory=80%', 'cpu=250m memory=512Mi', 'metric=http_requests_per_second target=100'), fc.option(fc.constantFrom('30s', '90s', '5m', '1h'), { nil: undefined })).map(
    ([app, env, min, more, basis, window]) => `/autoscale ${app} in ${env} min=${min} max=${min + more} ${basis}` + (window === undefined ? '' : ` scaledown=${window}`),
  ),
  fc.tuple(nameArb, nameArb).map(([app, env]) => `/autoscale ${app} in ${env} off`),
);

/** Small edits people (and fuzzers) make: drop, insert, replace or swap characters and words. */
const mutatedArb = fc.tuple(lineArb, fc.array(fc.tuple(fc.nat(), fc.constantFrom('del', 'ins', 'rep', 'swapWords', 'dupWord')), { minLength: 1, maxLength: 4 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })).map(
  ([line, edits, ch]) => {
    let s = line;
    for (const [at, kind] of edits) {
      const i = s.length === 0 ? 0 : at % s.length;
      if (kind === 'del') s = s.slice(0, i) + s.slice(i + 1);
      else if (kind === 'ins') s = s.slice(0, i) + ch + s.slice(i);
      else if (kind === 'rep') s = s.slice(0, i) + ch + s.slice(i + 1);
      else {
        const w = s.split(' ');
        const j = at % Math.max(1, w.length);
        if (kind === 'swapWords' && w.length > 1) [w[j], w[(j + 1) % w.length]] = [w[(j + 1) % w.length] ?? '', w[j] ?? ''];
        else w.splice(j, 0, w[j] ?? '');
        s = w.join(' ');
      }
    }
    return s;
  },
);

function checkTotal(line: string): void {
  const r = parseCommand(line, commands);
  if (r.ok) {
    expect(Object.hasOwn(commands, r.value.verb)).toBe(true);
  } else {
    expect(CODES.has(r.error.code)).toBe(true);
    expect(r.error.message).not.toBe('');
  }
}

function roundTrips(line: string): void {
  const r = parseCommand(line, commands);
  if (!r.ok) return;
  const canonical = renderCanonical(commands[r.value.verb], r.value.args);
  const again = parseCommand(canonical, commands);
  expect(again.ok, `canonical form "${canonical}" of "${line}" did not parse`).toBe(true);
  if (again.ok) expect(plain(again.value)).toEqual(plain(r.value));
}

/** The same line as a phone, a Chinese keyboard or a paste from Slack would deliver it. */
const fancyArb = (line: string): fc.Arbitrary<string> =>
  fc
    .record({
      smartQuotes: fc.boolean(),
      fullWidthEq: fc.boolean(),
      fullWidthComma: fc.boolean(),
      spaceAfterComma: fc.boolean(),
      fullWidthColon: fc.boolean(),
      space: fc.constantFrom(' ', '\u00A0', '\u3000', '  ', '\u2009', ' \u200B'),
      slackLinks: fc.boolean(),
      mention: fc.constantFrom('', '<@U0BOT123> ', '<@U0BOT123|chatops> '),
      umbrella: fc.boolean(),
      dashFlag: fc.boolean(),
    })
    .map((o) => {
      let s = line;
      if (o.smartQuotes) {
        let opening = false;
        s = s.replace(/"/g, () => {
          opening = !opening;
          return opening ? '“' : '”';
        });
      }
      if (o.fullWidthEq) s = s.replace(/=/g, '＝');
      if (o.fullWidthComma) s = s.replace(/,(?![^"“”]*["”])/g, '，');
      // "apps=web, api": a space after each comma of a list, as people type it.
      if (o.spaceAfterComma) s = s.replace(/([,，])(?![^"“”]*["”])/g, '$1 ');
      if (o.fullWidthColon) s = s.replace(/:/g, '：');
      if (o.slackLinks) s = s.replace(/(?<=^| |=)((?:registry\.example\.com|ghcr\.io)\/\S+)/g, (img) => `<http://${img}|${img}>`);
      if (o.dashFlag) s = s.replace(/ --reason /g, ' —reason ');
      s = s.replace(/ /g, o.space);
      if (o.umbrella) s = s.replace(/^\//, '/ops ');
      return o.mention + s;
    });

/**
 * Tens of thousands of runs each: on a busy shared machine they take well over vitest's default
 * 5 s, which would make a correctness test a timing one. Speed is not what these check.
 */
const MANY_RUNS = { timeout: 120_000 };

describe('parser properties', () => {
  it('answers every random line with a command or a coded usage error', MANY_RUNS, () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), checkTotal), { numRuns: 25_000 });
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'/ "\'=,%@:-—“”＝，<>|!#&abcdeloprstuvwz0123456789'.split('')), maxLength: 80 }), checkTotal), { numRuns: 25_000 });
  });

  it('answers every mutated real line with a command or a coded usage error', MANY_RUNS, () => {
    fc.assert(fc.property(mutatedArb, checkTotal), { numRuns: 50_000 });
  });

  it('parses generated valid lines', MANY_RUNS, () => {
    fc.assert(
      fc.property(lineArb, (line) => {
        const r = parseCommand(line, commands);
        expect(r.ok ? true : r.error).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });

  it('parses full-width punctuation, spaces after list commas, smart quotes, odd spaces and Slack markup exactly like the plain twin', MANY_RUNS, () => {
    fc.assert(
      fc.property(lineArb.chain((line) => fc.tuple(fc.constant(line), fancyArb(line))), ([line, fancy]) => {
        const a = parseCommand(line, commands);
        const b = parseCommand(fancy, commands);
        expect(plain(b.ok ? b.value : b.error.code)).toEqual(plain(a.ok ? a.value : a.error.code));
      }),
      { numRuns: 10_000 },
    );
  });

  it('renders every parsed command to canonical text that parses to the same command', MANY_RUNS, () => {
    fc.assert(fc.property(lineArb, roundTrips), { numRuns: 5_000 });
    fc.assert(fc.property(mutatedArb, roundTrips), { numRuns: 5_000 });
  });
});
