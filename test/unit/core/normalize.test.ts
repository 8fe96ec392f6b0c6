import { describe, expect, it } from 'vitest';
import { normalizeChatText } from '../../../src/core/normalize.ts';

describe('normalizeChatText', () => {
  it.each([
    ['plain text stays', '/deploy web v1 to prod', '/deploy web v1 to prod'],
    ['smart double quotes', '--reason “hotfix”', '--reason "hotfix"'],
    ['smart single quotes', "--reason ‘hotfix’", "--reason 'hotfix'"],
    ['corner brackets', '--reason 「修复」', '--reason "修复"'],
    ['full-width equals, colon and comma', 'apps＝web，api image＝reg.io/web：1', 'apps=web,api image=reg.io/web:1'],
    ['ideographic comma in a list', 'apps=web、api', 'apps=web,api'],
    ['comma between arguments', 'to prod，reason=x', 'to prod reason=x'],
    ['comma before a space', 'web v1， to prod', 'web v1 to prod'],
    ['comma inside quotes stays', '--reason "a, b"', '--reason "a, b"'],
    ['a space after a list comma', 'apps=web, api env=prod', 'apps=web,api env=prod'],
    ['spaces after every list comma', 'batches=10%, 50%, 100% gate=auto', 'batches=10%,50%,100% gate=auto'],
    ['a full-width comma and a space in a list', 'apps＝web， api，  worker', 'apps=web,api,worker'],
    ['a list ends before a key=', 'apps=web, env=prod', 'apps=web env=prod'],
    ['a list ends before a flag', 'apps=web, --reason x', 'apps=web --reason x'],
    ['a list ends before a connector word', 'apps=web, in prod', 'apps=web in prod'],
    ['a positional word is not a list', 'web v1, to prod', 'web v1 to prod'],
    ['non-breaking and ideographic spaces', 'a\u00A0b\u3000c\u2009d', 'a b c d'],
    ['zero-width characters vanish', 'de\u200Bploy', 'deploy'],
    ['runs of space fold', '  a   b  ', 'a b'],
    ['Slack link with label', '<http://registry.example.com/web:1|registry.example.com/web:1>', 'registry.example.com/web:1'],
    ['Slack bare link', '<https://example.com/x>', 'https://example.com/x'],
    ['Slack user mention', '<@U0123ABC> deploy', '@U0123ABC deploy'],
    ['Slack user mention with name', '<@U0123ABC|alice> deploy', '@U0123ABC deploy'],
    ['Slack channel mention', '<#C0123|ops-prod>', '#ops-prod'],
    ['Slack special mention', '<!here>', '@here'],
    ['Slack escapes', 'a &lt;b&gt; &amp; c', 'a <b> & c'],
    ['em dash flag', 'x —reason y', 'x --reason y'],
    ['en dash pair flag', 'x ––dry-run', 'x --dry-run'],
    ['full-width digits and letters', 'ｓｃａｌｅ ｗｅｂ ５', 'scale web 5'],
    ['sentence-final full stop', 'deploy web v1 to prod。', 'deploy web v1 to prod'],
    ['full stop inside quotes stays', '--reason "done."', '--reason "done."'],
  ])('%s', (_name, input, expected) => {
    expect(normalizeChatText(input)).toBe(expected);
  });

  it('replaces Lark mention keys with the names they stand for', () => {
    expect(normalizeChatText('@_user_1 deploy web v1 to prod, ping @_user_2', { mentions: { '@_user_1': 'chatops', '@_user_2': 'bob' } })).toBe(
      '@chatops deploy web v1 to prod ping @bob',
    );
  });

  it('is idempotent', () => {
    for (const s of ['“a”，b＝c', '<@U1> x —y', 'a\u3000b。']) {
      const once = normalizeChatText(s);
      expect(normalizeChatText(once)).toBe(once);
    }
  });
});
