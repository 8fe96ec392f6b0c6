import { App, LogLevel } from '@slack/bolt';

/** The P5 baseline: a bare Bolt app on its HTTP receiver with no handlers and no startup calls. */
const app = new App({ token: 'xoxb-bench', signingSecret: process.env['SLACK_SIGNING_SECRET'] ?? 'x', botId: 'B0BENCH', botUserId: 'U0BENCH', logLevel: LogLevel.ERROR });
const server = await app.start(0);
const addr = server.address();
process.stdout.write(`READY http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}\n`);
process.once('SIGTERM', () => {
  void app.stop().then(() => process.exit(0));
});
