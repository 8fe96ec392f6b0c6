import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake of Slack's incoming webhooks, for Alertmanager's Slack notifier (`slack_configs` with
 * `api_url`): `POST /hooks/<name>` with a JSON body is recorded and answered 200 `ok` as
 * text/plain, the way hooks.slack.com answers (Alertmanager's notifier checks for that body).
 */
export interface WebhookPost {
  /** The <name> of /hooks/<name>. */
  readonly hook: string;
  /** Date.now() when it arrived. */
  readonly at: number;
  readonly body: { readonly channel?: string; readonly text?: string; readonly attachments?: readonly { readonly title?: string; readonly text?: string }[] };
}

export interface FakeSlackWebhooks {
  readonly url: string;
  readonly posts: WebhookPost[];
  close(): Promise<void>;
}

export async function startFakeSlackWebhooks(): Promise<FakeSlackWebhooks> {
  const posts: WebhookPost[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      const m = /^\/hooks\/([\w-]+)$/.exec(req.url ?? '');
      if (req.method !== 'POST' || m?.[1] === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('no_service');
        return;
      }
      try {
        posts.push({ hook: m[1], at, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookPost['body'] });
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end('invalid_payload');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posts,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
