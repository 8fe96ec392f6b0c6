import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfigText } from '../../../src/config/load.ts';
import { defaultConfigPath } from '../../../src/config/paths.ts';

const fixture = (name: string) => new URL(`../../fixtures/${name}`, import.meta.url).pathname;

describe('config', () => {
  it('loads the shipped example with no problems', () => {
    const r = loadConfig(defaultConfigPath(), {});
    expect(r.ok ? 'ok' : r.error).toBe('ok');
  });

  it('loads the policy fixture', () => {
    const r = loadConfig(fixture('policy-config.yaml'), {});
    expect(r.ok ? 'ok' : r.error).toBe('ok');
  });

  it('reports every mistake at once, each with its path', () => {
    const r = loadConfig(fixture('broken-config.yaml'), { SLACK_BOT_TOKEN: 'xoxb-1' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const lines = r.error.map((p) => `${p.path}: ${p.message}`);
    const expected = [
      'environments.prod.clusters[1]: unknown cluster "nj-prod"',
      'groups.sre[1]: unknown person "mallory"',
      'access[0].who[0]: unknown group "ops"',
      'access[0].verbs[1]: unknown verb "deplyo"',
      'access[1].envs[0]: unknown environment "production"',
      'apps.web.image: ',
      'apps.api.maxReplicas: ',
      'clusters.gz-prod.region: ',
      'slack.signingSecret: environment variable SLACK_SIGNING_SECRET is not set',
      'freezes[0].timezone: not an IANA time zone',
      'links.trace: unknown placeholder {trace}',
      'people.bob.slack: "U0ALICE01" is already alice\'s slack id',
      'environments.prod.colour: unknown setting',
    ];
    for (const e of expected) expect(lines.some((l) => l.startsWith(e) || l.includes(e)), `missing: ${e}\n got:\n${lines.join('\n')}`).toBe(true);
    expect(lines.length).toBeGreaterThanOrEqual(expected.length);
  });

  it('never echoes a secret value in a problem', () => {
    const text = readFileSync(fixture('broken-config.yaml'), 'utf8').replace('${SLACK_BOT_TOKEN}', '${SLACK_BOT_TOKEN}');
    const r = parseConfigText(text, { SLACK_BOT_TOKEN: 'not-a-bot-token-s3cr3t', SLACK_SIGNING_SECRET: 'sig-s3cr3t' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      const all = JSON.stringify(r.error);
      expect(all).toContain('slack.botToken');
      expect(all).not.toContain('s3cr3t');
    }
  });

  it.each([
    ['${A}', { A: 'x' }, 'x'],
    ['${A:-fallback}', {}, 'fallback'],
    ['${A:-fallback}', { A: 'set' }, 'set'],
    ['redis://${HOST:-127.0.0.1}:${PORT}', { PORT: '6380' }, 'redis://127.0.0.1:6380'],
  ])('substitutes %s', (template, env, expected) => {
    const base = readFileSync(fixture('policy-config.yaml'), 'utf8');
    const r = parseConfigText(`${base}\nredis: { url: "${template.startsWith('redis') ? template : `redis://${template}`}" }\n`, env);
    expect(r.ok ? r.value.redis?.url : r.error).toBe(expected.startsWith('redis') ? expected : `redis://${expected}`);
  });

  it.each([
    ['the same email in another case', 'alice@example.com', 'Alice@Example.COM', true],
    ['the same email with spaces around', 'alice@example.com', ' alice@example.com', true],
    ['two different emails', 'alice@example.com', 'bob@example.com', false],
  ])('people emails are unique ignoring case: %s', (_name, a, b, refused) => {
    const text = `mode: local\npeople:\n  alice: { email: "${a}" }\n  bob: { email: "${b}" }\nclusters: { gz: { region: gz } }\nenvironments: { prod: { clusters: [gz], registries: [r.example.com] } }\napps: {}\n`;
    const r = parseConfigText(text, {});
    const problems = r.ok ? [] : r.error.map((p) => `${p.path}: ${p.message}`);
    if (refused) expect(problems).toContainEqual(expect.stringMatching(/^people\.bob\.email: .*already alice's email/));
    else expect(problems).toEqual([]);
  });

  it.each([
    ['url: "http://x/{app}"', { interval: '10s', successes: 3, window: '1m' }],
    ['url: "http://x/{app}", interval: 2s, successes: 5, window: 20s', { interval: '2s', successes: 5, window: '20s' }],
    ['url: "http://x/{app}", interval: 10s, successes: 4, window: 20s', 'apps.web.probe.window: 4 passes every 10s take at least 30 s, longer than the window (20s): the gate could never pass'],
    ['url: "http://x/{app}", successes: 0', 'apps.web.probe.successes: '],
    ['url: "http://x/{app}", interval: soon', 'apps.web.probe.interval: "soon" is not a duration such as 30m or 2h'],
  ])('probe gate settings: %s', (probe, expected) => {
    const base = readFileSync(fixture('policy-config.yaml'), 'utf8').replace('web: { image: registry.example.com/web, maxReplicas: 20 }', `web: { image: registry.example.com/web, maxReplicas: 20, probe: { ${probe} } }`);
    const r = parseConfigText(base, {});
    const p = r.ok ? r.value.apps['web']?.probe : undefined;
    const got = r.ok ? { interval: p?.interval.toString(), successes: p?.successes, window: p?.window.toString() } : r.error.map((e) => `${e.path}: ${e.message}`).join('\n');
    if (typeof expected === 'string') expect(got).toContain(expected);
    else expect(got).toEqual(expected);
  });

  it.each([
    ['promote', 'deploy'],
    ['continue', 'upgrade'],
  ])('an access rule naming %s is told to name %s, which authorizes it', (verb, as) => {
    const base = readFileSync(fixture('policy-config.yaml'), 'utf8').replace('verbs: [lock, unlock, freeze]', `verbs: [lock, ${verb}]`);
    const r = parseConfigText(base, {});
    expect(r.ok ? 'ok' : r.error.map((e) => `${e.path}: ${e.message}`)).toEqual([`access[7].verbs[1]: "${verb}" is authorized as ${as}: name ${as} instead`]);
  });

  it('reports YAML syntax errors with a line number', () => {
    const r = parseConfigText('people:\n  alice: {name: [unclosed\n', {});
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error[0]?.path).toMatch(/^line \d+/);
  });

  it('reports a missing file plainly', () => {
    const r = loadConfig('/nonexistent/chatops.yaml', {});
    expect(r.ok ? null : r.error).toEqual([{ path: '/nonexistent/chatops.yaml', message: 'no such file' }]);
  });
});
