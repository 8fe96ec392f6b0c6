import type { KubeConfig, RequestContext } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { reuseConnections } from '../../../src/kube/connections.ts';

/** A KubeConfig stand-in whose authentication makes a new dispatcher per call, as client-node 2.0 does. */
function fakeConfig(tls = true) {
  const made: { id: number; closed: boolean; close(): Promise<void> }[] = [];
  const kc = {
    applySecurityAuthentication(ctx: RequestContext): Promise<void> {
      if (!tls) return Promise.resolve();
      const d = { id: made.length + 1, closed: false, close: () => ((d.closed = true), Promise.resolve()) };
      made.push(d);
      ctx.setDispatcher(d as unknown as NonNullable<ReturnType<RequestContext['getDispatcher']>>);
      return Promise.resolve();
    },
  };
  return { kc: kc as unknown as KubeConfig, made };
}

/** A request context, and the id of the dispatcher it ended up with. */
function context(): { ctx: RequestContext; id: () => number | undefined } {
  let d: { id: number } | undefined;
  const ctx = { setDispatcher: (x: { id: number }) => (d = x), getDispatcher: () => d } as unknown as RequestContext;
  return { ctx, id: () => d?.id };
}

describe('reuseConnections', () => {
  it('hands every call the first call\'s dispatcher, so connections stay open between calls', async () => {
    const { kc, made } = fakeConfig();
    reuseConnections(kc, 60_000, () => 0);
    const ids: (number | undefined)[] = [];
    for (let i = 0; i < 4; i++) {
      const c = context();
      await kc.applySecurityAuthentication(c.ctx);
      ids.push(c.id());
    }
    expect(ids).toEqual([1, 1, 1, 1]);
    expect(made.map((d) => d.closed)).toEqual([false, false, false, false]);
  });

  it('renews the shared dispatcher after maxAge (rotated client certificates) and closes the old one', async () => {
    const { kc, made } = fakeConfig();
    let t = 0;
    reuseConnections(kc, 1000, () => t);
    const at = async (ms: number) => {
      t = ms;
      const c = context();
      await kc.applySecurityAuthentication(c.ctx);
      return c.id();
    };
    expect([await at(0), await at(999), await at(1000), await at(1500), await at(2000)]).toEqual([1, 1, 3, 3, 5]);
    expect(made.filter((d) => d.closed).map((d) => d.id)).toEqual([1, 3]);
  });

  it('leaves a call without TLS options alone (the default, pooled dispatcher)', async () => {
    const { kc } = fakeConfig(false);
    reuseConnections(kc);
    const c = context();
    await kc.applySecurityAuthentication(c.ctx);
    expect(c.id()).toBeUndefined();
  });
});
