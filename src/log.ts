import { pino, type Logger } from 'pino';
import { traceFields } from './telemetry/export.ts';

/**
 * JSON logs on stderr (pino). Secrets never reach a log line: config values are not logged,
 * and request bodies are not either (they can carry tokens); ids and outcomes are.
 */
export type Log = Logger;

export function createLog(name: string, level = process.env['LOG_LEVEL'] ?? 'info'): Log {
  // Lines logged inside an operation's span carry its trace id, so logs and traces join up.
  return pino({ name, level, base: { pid: process.pid }, mixin: traceFields }, pino.destination(2));
}

/** A logger that drops everything (tests that don't look at logs). */
export function silentLog(): Log {
  return pino({ level: 'silent' });
}
