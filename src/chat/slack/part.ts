import type { PartFactory } from '../../server/part.ts';

/** Slack in the API role, when the config has a slack section. */
export const slackPart: PartFactory = async (ctx) => {
  if (ctx.config.slack === undefined) return undefined;
  // The SDK is loaded only when the platform is configured (it costs tens of MB of memory).
  const { createSlackAdapter } = await import('./app.ts');
  const timeout = ctx.knobs['slackUnhandledRequestTimeoutMillis'];
  const slack = createSlackAdapter({ s: ctx.s, outbox: ctx.outbox, slack: ctx.config.slack, log: ctx.log.child({ platform: 'slack' }), metrics: ctx.metrics, ...(typeof timeout === 'number' ? { unhandledRequestTimeoutMillis: timeout } : {}) });
  const listener = slack.requestListener;
  return {
    name: 'slack',
    ...(listener === undefined ? {} : { routes: { 'POST /slack/events': (req, res) => listener(req, res) } }),
    sender: { platform: 'slack', sender: slack.sender },
    start: () => slack.start(),
    stop: () => slack.stop(),
  };
};
