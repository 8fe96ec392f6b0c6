import { describe, expect, it } from 'vitest';
import { redactDeep, redactUrls, splitUrlCredentials } from '../../../src/core/redact.ts';

describe('redactUrls', () => {
  it.each([
    ['no URL', 'nothing here', 'nothing here'],
    ['a URL without credentials', 'see http://am.example.com:9093/#/alerts', 'see http://am.example.com:9093/#/alerts'],
    ['user and password', 'http://admin:s3cret@am.example.com:9093/api', 'http://***@am.example.com:9093/api'],
    ['a password only (Redis)', 'Redis: redis://:s3cret@10.0.0.5:6379', 'Redis: redis://***@10.0.0.5:6379'],
    ['a user only', 'https://token@grafana.example.com/d/x', 'https://***@grafana.example.com/d/x'],
    ['an @ in the password', 'redis://default:p@ss@127.0.0.1:6379/0', 'redis://***@127.0.0.1:6379/0'],
    ['two URLs in one text', 'from http://a:b@one.example/x to https://c:d@two.example', 'from http://***@one.example/x to https://***@two.example'],
    ['an @ after the host stays', 'https://example.com/users/@me?x=a@b', 'https://example.com/users/@me?x=a@b'],
    ['an email after a URL stays', 'http://example.com bob@example.com', 'http://example.com bob@example.com'],
    ['in a Slack link', '<http://u:p@host.example/x|Logs>', '<http://***@host.example/x|Logs>'],
    ['in JSON', '{"url":"http://u:p@h.example"}', '{"url":"http://***@h.example"}'],
    ['at the very end', 'url: http://u:p@', 'url: http://***@'],
    ['a lone ://', 'a :// b', 'a :// b'],
    ['a URL right after another authority', 'http://u:p@a://x:y@b/', 'http://***@a://***@b/'],
  ])('%s', (_name, text, want) => {
    expect(redactUrls(text)).toBe(want);
  });

  it('takes time linear in the text, whatever it holds (no backtracking)', () => {
    // Shapes that make a naive URL regex backtrack: long schemes, many "://" without an "@".
    for (const text of ['a'.repeat(200_000), 'a://'.repeat(50_000), `${'x.'.repeat(100_000)}://`, `http://${'u:'.repeat(100_000)}`]) {
      expect(redactUrls(text).length).toBeGreaterThan(0);
    }
  });
});

describe('splitUrlCredentials', () => {
  it.each([
    ['no credentials', 'http://127.0.0.1:9093/', { url: 'http://127.0.0.1:9093/' }],
    ['user and password', 'http://am:s3cret@127.0.0.1:9093/', { url: 'http://127.0.0.1:9093/', authorization: `Basic ${Buffer.from('am:s3cret').toString('base64')}` }],
    ['escaped characters', 'https://a%40b:p%3Aw@h.example/x', { url: 'https://h.example/x', authorization: `Basic ${Buffer.from('a@b:p:w').toString('base64')}` }],
    ['not a URL', 'not a url', { url: 'not a url' }],
  ])('%s', (_name, url, want) => {
    expect(splitUrlCredentials(url)).toEqual(want);
  });
});

describe('redactDeep', () => {
  it('redacts strings anywhere in plain data and errors, leaving other values alone', () => {
    const err = new Error('connect to http://u:p@am.example failed', { cause: new Error('from https://x:y@h.example') });
    const out = redactDeep({ a: 'redis://:pw@h:6379', list: ['http://u:p@h', 3, true, null], nested: { deep: { url: new URL('http://u:p@h.example/x') } }, err }) as Record<string, unknown>;
    expect(JSON.stringify(out)).not.toMatch(/u:p@|:pw@|x:y@/);
    expect(out['list']).toEqual(['http://***@h', 3, true, null]);
    expect((out['err'] as { message: string }).message).toBe('connect to http://***@am.example failed');
    expect(JSON.stringify(out['err'])).toContain('https://***@h.example');
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { url: 'http://u:p@h' };
    a['self'] = a;
    expect((redactDeep(a) as { url: string }).url).toBe('http://***@h');
  });
});
