import type { PartFactory } from '../../server/part.ts';
import { consoleAccess, createSessions } from './auth.ts';
import { createConsoleHub } from './hub.ts';
import { consoleRoutes } from './routes.ts';
import { createConsoleSender } from './sender.ts';
import { createConsoleStore } from './store.ts';

/**
 * The web console in the API role: always on, since its channels ("console:ops", the alert
 * channels of the config) are where local mode talks and where alerts may be routed. Outside
 * local mode its pages ask each person to sign in with their own token; with no token in the
 * config they refuse, but messages for console channels are still kept for when they open.
 */
export const consolePart: PartFactory = (ctx) => {
  const { s, outbox } = ctx;
  const log = ctx.log.child({ platform: 'console' });
  const store = createConsoleStore(s.redis, s.prefix, s.clock);
  const hub = createConsoleHub(s.redis, store, s.ops.changesKey, (e) => log.error({ err: e }, 'console live updates'));
  const sessions = createSessions(s.redis, s.prefix);
  return {
    name: 'console',
    routes: consoleRoutes({ s, outbox, store, hub, sessions, log, metrics: ctx.metrics }),
    sender: { platform: 'console', sender: createConsoleSender(store) },
    start() {
      hub.start();
      log.info({ access: consoleAccess(s.config) }, 'console ready');
      return Promise.resolve();
    },
    stop: () => hub.stop(),
  };
};
