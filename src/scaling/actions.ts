import { commands } from '../../commands/index.ts';
import { APPLY_SUGGESTION } from '../core/replica-formula.ts';
import { message } from '../core/message.ts';
import { renderCanonical } from '../core/parse.ts';
import { refreshOp } from '../notify/op-notifier.ts';
import type { Outbox } from '../notify/outbox.ts';
import { showOpIn } from '../service/op-live.ts';
import { submit, type Reply } from '../service/requests.ts';
import type { Services } from '../service/services.ts';
import { storedSuggestion, suggestionKey, type StoredSuggestion } from './suggest.ts';

/**
 * The Apply button of a suggestion: the stored counts become `/scale` requests of the person
 * who clicked, through submit like typed ones (policy, approvals, locks, the job path). One
 * request when every cluster of the environment gets the same count, else one per cluster.
 * A repeated click of the same person is the same request (the delivery id says so).
 */
export interface SuggestionClick {
  readonly value: string;
  readonly actor: string | undefined;
  readonly channel: string;
}

/** The scale command lines an applied suggestion stands for. Pure. */
export function scaleLines(sug: StoredSuggestion): { cluster: string | undefined; text: string }[] {
  const reason = sug.reason ?? `applied suggestion ${sug.id} (${sug.basis})`;
  const entries = Object.entries(sug.replicas).sort(([a], [b]) => a.localeCompare(b));
  const counts = new Set(entries.map(([, n]) => n));
  const line = (replicas: number, cluster?: string) => renderCanonical(commands.scale, { app: sug.app, replicas, env: sug.env, cluster, reason });
  const [first] = entries;
  if (sug.wholeEnv && counts.size === 1 && first !== undefined) return [{ cluster: undefined, text: line(first[1]) }];
  return entries.map(([cluster, n]) => ({ cluster, text: line(n, cluster) }));
}

export async function applySuggestion(s: Services, outbox: Outbox, c: SuggestionClick): Promise<Reply> {
  const raw = await s.redis.get(suggestionKey(s, c.value));
  const parsed = raw === null ? undefined : storedSuggestion.safeParse(JSON.parse(raw));
  if (parsed === undefined || !parsed.success) {
    return { message: message('Suggestion expired', 'info', { text: `Suggestion ${c.value} is no longer kept (they last ${s.config.scaling.suggestionExpires.toString()}); ask for a new one with /scale … suggest.` }) };
  }
  const replies: Reply[] = [];
  for (const l of scaleLines(parsed.data)) {
    const reply = await submit(s, { text: l.text, actor: c.actor, deliveryId: `suggestion:${c.value}:${l.cluster ?? '*'}:${c.actor ?? 'unknown'}`, channel: c.channel });
    if (reply.opId !== undefined) {
      if (reply.created === true) await showOpIn(s, reply.opId, c.channel);
      await refreshOp(s, outbox, reply.opId);
    }
    replies.push(reply);
  }
  const [only] = replies;
  if (replies.length === 1 && only !== undefined) return only;
  const ops = replies.flatMap((r) => (r.opId === undefined ? [] : [r.opId]));
  return {
    message: message(`Applied suggestion ${c.value}`, 'info', { sections: [{ lines: replies.map((r) => `${r.message.title}${r.message.text === undefined ? '' : `: ${r.message.text}`}`) }] }),
    ...(ops[0] === undefined ? {} : { opId: ops[0] }),
  };
}

/** The button actions of suggestion messages, for CLICK_HANDLERS in src/chat/inbound.ts. */
export const SCALING_CLICK_HANDLERS = {
  [APPLY_SUGGESTION]: applySuggestion,
} as const;
