import { webApi } from '@slack/bolt';
import type { ChannelSender, OutboxItem, SendOutcome } from '../../notify/outbox.ts';
import { renderSlack } from './render.ts';

/**
 * Sends outbox items to Slack. The WebClient is told not to wait out 429s or retry by itself
 * (rejectRateLimitedCalls, no retries): left to itself it would pause every channel for one
 * channel's Retry-After and retry for half an hour. The outbox does both per channel instead,
 * from the classification below.
 */
export const SLACK_PACE_MS = 1000;

/** Slack errors that say "try again later" rather than "this will never work". */
const TRANSIENT_PLATFORM_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'team_added_to_org']);

export function createSlackClient(token: string, apiUrl: string | undefined): webApi.WebClient {
  return new webApi.WebClient(token, {
    ...(apiUrl === undefined ? {} : { slackApiUrl: apiUrl }),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: 10_000,
    logLevel: webApi.LogLevel.ERROR,
  });
}

export function classifySlackError(e: unknown): SendOutcome {
  if (e instanceof webApi.WebAPIRateLimitedError) return { kind: 'rate_limited', retryAfterMs: Math.max(1, e.retryAfter) * 1000 };
  if (e instanceof webApi.WebAPIPlatformError) {
    const code = e.data.error;
    if (code === 'ratelimited') return { kind: 'rate_limited', retryAfterMs: 1000 };
    return TRANSIENT_PLATFORM_ERRORS.has(code) ? { kind: 'transient', error: code } : { kind: 'permanent', error: code };
  }
  if (e instanceof webApi.WebAPIHTTPError) return e.statusCode >= 500 || e.statusCode === 408 ? { kind: 'transient', error: `HTTP ${e.statusCode}` } : { kind: 'permanent', error: `HTTP ${e.statusCode}` };
  // Connection refused, reset, timed out: the request may not have arrived; try again.
  if (e instanceof webApi.WebAPIRequestError) return { kind: 'transient', error: e.message };
  return { kind: 'transient', error: e instanceof Error ? e.message : String(e) };
}

export function createSlackSender(client: webApi.WebClient, slackIdOf: (person: string) => string | undefined): ChannelSender {
  return {
    paceMs: SLACK_PACE_MS,
    async deliver(item: OutboxItem, ctx): Promise<SendOutcome> {
      try {
        if (item.kind === 'post' && item.raw !== undefined) {
          const r = await client.chat.postMessage({ channel: ctx.channelId, text: item.raw, ...(ctx.threadRef === undefined ? {} : { thread_ts: ctx.threadRef }) });
          return { kind: 'sent', ref: r.ts };
        }
        const seed = item.kind === 'upsert' ? `${item.key}-${ctx.revision}` : item.id;
        const r = renderSlack(item.message, { slackIdOf, blockIdSeed: seed });
        if (item.kind === 'upsert' && ctx.ref !== undefined) {
          try {
            await client.chat.update({ channel: ctx.channelId, ts: ctx.ref, text: r.text, blocks: r.blocks });
            return { kind: 'sent', ref: ctx.ref };
          } catch (e) {
            // The message was deleted in Slack: post it again rather than lose the update.
            if (!(e instanceof webApi.WebAPIPlatformError && e.data.error === 'message_not_found')) throw e;
          }
        }
        const posted = await client.chat.postMessage({ channel: ctx.channelId, text: r.text, blocks: r.blocks, ...(ctx.threadRef === undefined ? {} : { thread_ts: ctx.threadRef }) });
        return { kind: 'sent', ref: posted.ts, followUps: r.overflow };
      } catch (e) {
        return classifySlackError(e);
      }
    },
  };
}
