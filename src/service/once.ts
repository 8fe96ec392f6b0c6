import { claim, dedupeKey } from '../jobs/dedupe.ts';
import { message, type Message } from '../core/message.ts';
import type { Services } from './services.ts';

/**
 * Settings and alert clicks act once per delivery, as job verbs do: the platform's delivery id
 * (Slack trigger id, Lark event id, the console's request id) is claimed in Redis for 48 hours
 * under the same key a job verb's delivery uses. The first delivery acts and leaves the gist of
 * its answer there; a repeat (a replayed request, a redelivery, a second API replica) does
 * nothing and answers "Already received" with that gist. If the first one fails, the claim is
 * dropped, so the same delivery may be tried again.
 */
const PENDING = 'setting:pending';

interface Gist {
  readonly title: string;
  readonly text?: string | undefined;
}

function repeatMessage(value: string): Message {
  if (!value.startsWith('{')) return message('Already received', 'info', { text: 'This request was already received and is still being handled.' });
  let gist: Gist;
  try {
    gist = JSON.parse(value) as Gist;
  } catch {
    return message('Already received', 'info', { text: 'This request was already received.' });
  }
  return message('Already received', 'info', { text: `This request was already received. ${gist.title}${gist.text === undefined ? '' : `: ${gist.text}`}`, context: ['nothing was done again'] });
}

export async function oncePerDelivery(s: Services, deliveryId: string, act: () => Promise<Message>): Promise<{ message: Message; repeat: boolean }> {
  const key = `delivery:${deliveryId}`;
  const seen = await claim(s.redis, s.prefix, key, PENDING);
  if (!seen.first) return { message: repeatMessage(seen.value), repeat: true };
  let answer: Message;
  try {
    answer = await act();
  } catch (e) {
    await s.redis.del(dedupeKey(s.prefix, key));
    throw e;
  }
  const gist: Gist = { title: answer.title, ...(answer.text === undefined ? {} : { text: answer.text }) };
  await s.redis.set(dedupeKey(s.prefix, key), JSON.stringify(gist), 'KEEPTTL', 'XX');
  return { message: answer, repeat: false };
}
