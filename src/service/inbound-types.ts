import type { Message } from '../core/message.ts';
import type { ParseOptions } from '../core/parse.ts';

/**
 * What a surface hands the request side and what it gets back. Kept apart from requests.ts so
 * that the modules requests.ts calls (approval decisions, new operations) can name them without
 * importing it back.
 */
export interface Inbound {
  readonly text: string;
  /** The person as named in config, or undefined for an unknown chat user. */
  readonly actor: string | undefined;
  /** The platform's id for this delivery (Slack envelope id, Lark event id, a CLI nonce). */
  readonly deliveryId: string;
  readonly parse?: ParseOptions;
  /** The chat channel it was typed in ("slack:C0123"): settings such as /subscribe belong to it. */
  readonly channel?: string | undefined;
}

export interface Reply {
  readonly message: Message;
  readonly opId?: string;
  readonly approvalId?: string;
  /** Whether this delivery was seen before (nothing new was done). */
  readonly repeat?: boolean;
  /** Whether this request created the operation `opId` (queued it or sent it for approval). */
  readonly created?: boolean;
  /** What the queue did with a new operation: whom it waits for ("Queued behind op-… (…)"), or who superseded it. */
  readonly queueNote?: string;
}
