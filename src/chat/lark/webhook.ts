import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Log } from '../../log.ts';
import { readBody } from '../../server/body.ts';
import type { Metrics } from '../../server/metrics.ts';
import { secretEqual } from '../../server/secret-equal.ts';
import type { Gate, Refusal } from './gated-dispatcher.ts';
import type { LarkConfig } from './sender.ts';
import { challengeOf, verifyLarkRequest, type RejectReason } from './verify.ts';

/**
 * Webhook mode's HTTP side: `POST /lark/events`. Reads the body within a size limit, verifies
 * the signature, timestamp and encryption over the raw bytes (verify.ts), answers Lark's URL
 * challenge, then hands the envelope to the same gate and dispatcher as the long connection.
 * A refusal Lark should not retry (it was signed with our key) is a 200 with no effect; one
 * that fails verification is a 401.
 */

/** Lark events are a few KB; anything near this is not one. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface LarkWebhookOptions {
  readonly cfg: LarkConfig;
  readonly now: () => number;
  readonly log: Log;
  readonly metrics: Metrics;
  /** Counts and logs a refusal, and says what to answer. */
  readonly refuse: (reason: RejectReason, extra: { eventId?: string; status: 200 | 401 | 413 }) => Refusal;
  readonly gate: Gate;
  readonly dispatch: (envelope: unknown) => Promise<unknown>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

export function createLarkWebhook(o: LarkWebhookOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { cfg, now, log, metrics, refuse, gate, dispatch } = o;
  return async (req, res) => {
    const refuseHttp = (reason: RejectReason, status: 200 | 401 | 413, eventId?: string) => {
      const r = refuse(reason, { status, ...(eventId === undefined ? {} : { eventId }) });
      sendJson(res, r.status, r.status === 200 ? r.answer : { error: 'unauthorized' });
    };
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === undefined) {
      metrics.rejected.inc({ platform: 'lark', reason: 'body too large' });
      log.warn({ reason: 'body too large' }, 'lark request refused');
      sendJson(res, 413, { error: 'too large' });
      return;
    }
    const encryptKey = cfg.encryptKey;
    if (encryptKey === undefined) throw new Error('lark webhook without an encrypt key (the config check should have refused this)');
    const v = verifyLarkRequest({ headers: req.headers, body, encryptKey, nowMs: now() });
    if (!v.ok) return refuseHttp(v.reason, 401);
    const challenge = challengeOf(v.envelope);
    if (challenge !== undefined) {
      // Lark sends the URL challenge unsigned; it was encrypted with our key, and its token must be ours.
      const want = cfg.verificationToken;
      if (want !== undefined && (typeof challenge.token !== 'string' || !secretEqual(challenge.token, want))) return refuseHttp('wrong verification token', 401);
      sendJson(res, 200, { challenge: challenge.challenge });
      return;
    }
    if (!v.signed) return refuseHttp('missing signature', 401);
    const refused = await gate(v.envelope);
    if (refused !== undefined) {
      sendJson(res, refused.status, refused.status === 200 ? refused.answer : { error: 'unauthorized' });
      return;
    }
    const result = await dispatch(v.envelope);
    sendJson(res, 200, typeof result === 'object' && result !== null ? result : {});
  };
}
