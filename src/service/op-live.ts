import { linksFor } from '../core/links.ts';
import type { Message } from '../core/message.ts';
import { confirmsApprovals } from './messages.ts';
import { opView } from './op-view.ts';
import type { Services } from './services.ts';

/**
 * What the live message of an operation is made from, kept in Redis beside the operation: the
 * request's first answer (its plan) and the chat channels that show the operation. Any process
 * can then rebuild the message from scratch, which is what keeps edits idempotent.
 */
const KEEP_SECONDS = 30 * 24 * 3600;

function baseKey(s: Services, opId: string): string {
  return `${s.prefix}op-base:${opId}`;
}

function channelsKey(s: Services, opId: string): string {
  return `${s.prefix}op-channels:${opId}`;
}

/** Keeps the first answer to the request (a repeat keeps the first). */
export async function saveOpBase(s: Services, opId: string, base: Message): Promise<void> {
  await s.redis.set(baseKey(s, opId), JSON.stringify(base), 'EX', KEEP_SECONDS, 'NX');
}

/** Shows the operation in `channel` (e.g. "slack:C0123"); `threadRef` puts its message in that thread. */
export async function showOpIn(s: Services, opId: string, channel: string, threadRef?: string): Promise<void> {
  await s.redis.hset(channelsKey(s, opId), channel, threadRef ?? '');
  await s.redis.expire(channelsKey(s, opId), KEEP_SECONDS);
}

export async function opChannels(s: Services, opId: string): Promise<{ channel: string; threadRef: string | undefined }[]> {
  const h = await s.redis.hgetall(channelsKey(s, opId));
  return Object.entries(h).map(([channel, t]) => ({ channel, threadRef: t === '' ? undefined : t }));
}

/** The operation's live message as it stands, or undefined for an unknown operation. */
export async function loadOpView(s: Services, opId: string): Promise<Message | undefined> {
  const op = await s.ops.get(opId);
  if (op === undefined) return undefined;
  const [rawBase, approval, lastEvent] = await Promise.all([
    s.redis.get(baseKey(s, opId)),
    op.approvalId === undefined ? Promise.resolve(undefined) : s.approvals.get(op.approvalId, s.clock()),
    s.ops.lastEvent(opId),
  ]);
  const base = rawBase === null ? undefined : (JSON.parse(rawBase) as Message);
  const env = s.config.environments[op.env];
  return opView({
    op,
    base,
    approval,
    lastEvent,
    links: linksFor(s.config.links, { jobId: op.id, traceId: op.traceId, app: op.app, env: op.env }),
    confirmIn: confirmsApprovals(op.env, env?.confirmApprovals) ? op.env : undefined,
  });
}
