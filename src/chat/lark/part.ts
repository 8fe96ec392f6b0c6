import type { PartFactory } from '../../server/part.ts';
import { createLarkAdapter } from './app.ts';

/** Lark/Feishu in the API role, when the config has a lark section: the webhook route (webhook mode) or the long connection (ws mode), and the sender. */
export const larkPart: PartFactory = (ctx) => {
  if (ctx.config.lark === undefined) return undefined;
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
