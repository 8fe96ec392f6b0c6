import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_TEAM_ID, slashCommandBody } from '../../fakes/slack-sign.ts';
import { uniqueName } from '../support/namespace.ts';
import { PEOPLE, sendTwice, startAlertsBot, type AlertsHarness } from '../alerts/support.ts';

/**
 * Settings typed in Slack act once per delivery, as deploys do: the same signed request sent
 * twice (a replay, or Slack's and a proxy's retries) locks, freezes or subscribes once, writes
 * one audit entry, and the second answer says it was already received. Real Bolt receiver,
 * real Redis, the fake Slack Web API at the edge.
 */
const CHANNEL = 'C0ONCE001';

let h: AlertsHarness;
beforeAll(async () => {
  // bob (SRE) may lock and freeze prod; everyone may subscribe (ACCESS in alerts/support.ts).
  h = await startAlertsBot(uniqueName('once'), {}, { access: [{ name: 'sre-settings', who: ['group:sre'], verbs: ['lock', 'unlock', 'freeze'], envs: ['prod'] }] });
});

afterAll(async () => {
  await h?.close();
});

describe('a replayed slash command', () => {
  it.each([
    ['lock web in prod for=1h --reason "load test"', 'lock', 'Locked web in prod'],
    ['freeze prod for 1h --reason "incident 42"', 'freeze', 'Froze prod'],
    ['subscribe severity=critical env=prod', 'subscribe', 'Subscribed'],
  ])('/ops %s acts once: one audit entry, and the repeat says "Already received"', async (text, verb, first) => {
    const responseUrl = h.fake.responseUrl(`once-${verb}-${randomBytes(3).toString('hex')}`);
    const body = slashCommandBody({ command: '/ops', text, user_id: PEOPLE.bob.slack, team_id: FAKE_TEAM_ID, channel_id: CHANNEL, response_url: responseUrl });
    const [one, two] = await sendTwice(h, body, responseUrl);

    const entries = (await h.bot.api.s.audit.query({ limit: 100, by: 'bob' })).filter((e) => e.kind === 'setting' && e.summary.startsWith(`bob ${verb === 'lock' ? 'locked' : verb === 'freeze' ? 'froze' : 'subscribed'}`));
    expect(entries).toHaveLength(1);
    expect(one).toContain(first);
    expect(two).toContain('Already received');
    expect(two).toContain(first);
  });
});
