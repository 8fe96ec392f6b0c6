import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The P1 baseline: a bare node:http server doing the same v0 HMAC check as Slack's receiver
 * (timestamp window, HMAC-SHA256 over "v0:ts:body", timing-safe compare) and answering 200.
 */
const secret = process.env['SLACK_SIGNING_SECRET'] ?? '';
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    const ts = Number(req.headers['x-slack-request-timestamp']);
    const sig = String(req.headers['x-slack-signature'] ?? '');
    const want = `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
    const ok = Math.abs(Date.now() / 1000 - ts) <= 300 && sig.length === want.length && timingSafeEqual(Buffer.from(sig), Buffer.from(want));
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
    res.end(ok ? JSON.stringify({ response_type: 'ephemeral', text: 'ok' }) : '{}');
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`READY http://127.0.0.1:${(server.address() as AddressInfo).port}\n`));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
