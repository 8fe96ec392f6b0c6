import type { PartFactory } from '../../server/part.ts';

/** Lark/Feishu in the API role, when the config has a lark section: the webhook route (webhook mode) or the long connection (ws mode), and the sender. */
export const larkPart: PartFactory = async (ctx) => {
  if (ctx.config.lark === undefined) return undefined;
  // The SDK is loaded only when the platform is configured (it costs tens of MB of memory).
  const { createLarkAdapter } = await import('./app.ts');
  const lark = createLarkAdapter({ s: ctx.s, outbox: ctx.outbox, lark: ctx.config.lark, log: ctx.log.child({ platform: 'lark' }), metrics: ctx.metrics });
  const listener = lark.requestListener;
  return {
    name: 'lark',
    ...(listener === undefined ? {} : { routes: { 'POST /lark/events': listener } }),
    sender: { platform: 'lark', sender: lark.sender },
    start: () => lark.start(),
    stop: () => lark.stop(),
  };
};
