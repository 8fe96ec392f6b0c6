import { repeatedActionId } from '../action-id.ts';
import { LIMITS } from './limits.ts';

/**
 * The ids Slack keys a message's parts by. block_ids must be new on every update of a message
 * (Slack keeps the old state of a block whose id it has seen), so they come from a seed the
 * caller makes unique per update; action_ids must be unique within a message, so a repeated
 * action gets a "-2", "-3"… suffix (chat/action-id.ts) that is taken off again when the click comes back.
 */

const SEED_MAX = 200;

/** FNV-1a, for shortening an over-long block id seed deterministically. */
function hash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** Makes `${seed}.${name}` block ids that stay within Slack's 255 characters. */
export function blockIds(blockIdSeed: string): (name: string) => string {
  const seed = blockIdSeed === '' ? 'msg' : blockIdSeed.length > SEED_MAX ? `${blockIdSeed.slice(0, 180)}~${hash(blockIdSeed)}` : blockIdSeed;
  return (name) => `${seed}.${name}`;
}

/** A function giving each action an action_id unique in the message: "approve", then "approve-2"… */
export function uniqueActionIds(): (action: string) => string {
  const used = new Set<string>();
  return (action) => {
    const base = (action === '' ? 'action' : action).slice(0, LIMITS.actionId - 8);
    if (!used.has(base)) {
      used.add(base);
      return base;
    }
    for (let n = 2; ; n++) {
      const candidate = repeatedActionId(base, n);
      if (!used.has(candidate)) {
        used.add(candidate);
        return candidate;
      }
    }
  };
}

