import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { defaultConfigPath } from '../../../src/config/paths.ts';

/** Slack configured by environment alone, on the shipped example (which has no slack section). */
describe('chat platforms from the environment', () => {
  it.each<[string, Record<string, string>, string | Record<string, unknown>]>([
    ['nothing set: no Slack', {}, 'none'],
    ['HTTP mode', { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's3cret', SLACK_TEAM_ID: 'T0TEAM01' }, { botToken: 'xoxb-1', signingSecret: 's3cret', teamId: 'T0TEAM01', mode: 'http' }],
    ['Socket Mode, chosen by an app token without a signing secret', { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1', SLACK_TEAM_ID: 'T0TEAM01' }, { botToken: 'xoxb-1', appToken: 'xapp-1', teamId: 'T0TEAM01', mode: 'socket' }],
    ['the Web API pointed elsewhere', { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', SLACK_TEAM_ID: 'T0TEAM01', SLACK_API_URL: 'http://127.0.0.1:9/api/' }, { apiUrl: 'http://127.0.0.1:9/api/' }],
  ])('%s', (_what, env, want) => {
    const r = loadConfig(defaultConfigPath(), env);
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    if (want === 'none') expect(r.value.slack).toBeUndefined();
    else if (typeof want === 'object') expect(r.value.slack).toMatchObject(want);
  });

  it.each<[string, Record<string, string>, string]>([
    ['a missing team id is named', { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }, 'slack.teamId: environment variable SLACK_TEAM_ID is not set'],
    ['HTTP mode without a signing secret', { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_TEAM_ID: 'T0TEAM01', SLACK_MODE: 'http' }, 'slack.signingSecret: environment variable SLACK_SIGNING_SECRET is not set'],
    ['a user token where a bot token belongs', { SLACK_BOT_TOKEN: 'xoxp-1', SLACK_SIGNING_SECRET: 's', SLACK_TEAM_ID: 'T0TEAM01' }, 'slack.botToken: a bot token starts with xoxb-'],
  ])('%s', (_what, env, problem) => {
    const r = loadConfig(defaultConfigPath(), env);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.map((p) => `${p.path}: ${p.message}`)).toContain(problem);
    // Secrets are never echoed back in problems.
    expect(JSON.stringify(r.error)).not.toContain('xoxp-1');
  });
});
