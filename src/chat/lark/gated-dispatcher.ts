import * as lark from '@larksuiteoapi/node-sdk';

/**
 * The SDK's event dispatcher with our checks (the adapter's gate, in app.ts) in front of it.
 * Both ways events arrive end here: the long connection's frames through `invoke`, and the
 * webhook's requests (already verified by webhook.ts) through `dispatch`.
 */

/** A refused event: the HTTP status for a webhook, and what Lark gets back (a toast for a card click). */
export type Refusal = { readonly status: 200 | 401 | 413; readonly answer: unknown };

/** Our checks on a decrypted envelope; undefined when it may go to the handlers. */
export type Gate = (envelope: unknown) => Promise<Refusal | undefined>;

/**
 * WSClient calls `invoke` for every frame (with needCheck false: the connection was
 * authenticated when it opened); the webhook verifies the request itself and then calls
 * `dispatch`, which skips the SDK's own signature check.
 */
export class GatedDispatcher extends lark.EventDispatcher {
  readonly #gate: Gate;

  constructor(params: ConstructorParameters<typeof lark.EventDispatcher>[0], gate: Gate) {
    super(params);
    this.#gate = gate;
  }

  override async invoke(data: unknown, _params?: { needCheck?: boolean }): Promise<unknown> {
    const refused = await this.#gate(data);
    if (refused !== undefined) return refused.answer;
    return super.invoke(data, { needCheck: false });
  }

  dispatch(envelope: unknown): Promise<unknown> {
    return super.invoke(envelope, { needCheck: false });
  }
}
