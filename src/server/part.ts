import type { Config } from '../config/schema.ts';
import type { Log } from '../log.ts';
import type { ChannelSender, Outbox } from '../notify/outbox.ts';
import type { Services } from '../service/services.ts';
import type { Handler, Route } from './http.ts';
import type { Metrics } from './metrics.ts';

/**
 * One piece of the API role (a chat platform, the alert sources, the web console): what it
 * serves over HTTP, which chat platform it sends to, and its own start and stop. The API
 * composes the parts that are configured; a part that is not configured returns undefined.
 */
export interface PartContext {
  readonly config: Config;
  readonly s: Services;
  readonly outbox: Outbox;
  readonly log: Log;
  readonly metrics: Metrics;
  /** Test knobs, passed through from startApi's options. */
  readonly knobs: Readonly<Record<string, unknown>>;
}

export interface ApiPart {
  readonly name: string;
  /** Exact path → handler (POST webhooks; GET pages for the console), or a Route with its own body limit. */
  readonly routes?: Readonly<Record<string, Handler | Route>>;
  /** The chat platform prefix ("slack", "lark", "console") and how to send there. */
  readonly sender?: { readonly platform: string; readonly sender: ChannelSender };
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

export type PartFactory = (ctx: PartContext) => ApiPart | undefined | Promise<ApiPart | undefined>;
