import { pino, type DestinationStream, type Logger } from 'pino';
import { redactDeep, redactUrls } from './core/redact.ts';
import { traceFields } from './telemetry/export.ts';

/**
 * JSON logs on stderr (pino). Secrets never reach a log line: config values are not logged,
 * and request bodies are not either (they can carry tokens); ids and outcomes are. Whatever is
 * logged (message, fields, errors and their causes, a child logger's bindings) goes through
 * redactUrls, so credentials inside a URL (a probe's, Alertmanager's, REDIS_URL) never show.
 */
export type Log = Logger;

export function createLog(name: string, level = process.env['LOG_LEVEL'] ?? 'info', destination: DestinationStream = pino.destination(2)): Log {
  return pino(
    {
      name,
      level,
      base: { pid: process.pid },
      // Lines logged inside an operation's span carry its trace id, so logs and traces join up.
      mixin: traceFields,
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? redactUrls(a) : a)) as Parameters<typeof method>);
        },
      },
      formatters: {
        log: (obj) => redactDeep(obj) as Record<string, unknown>,
        bindings: (bindings) => redactDeep(bindings) as Record<string, unknown>,
      },
    },
    destination,
  );
}

/** A logger that drops everything (tests that don't look at logs). */
export function silentLog(): Log {
  return pino({ level: 'silent' });
}
