import { statSync } from 'node:fs';
import { readFileFrom } from '../../lib/files.ts';
import { BOT_USER, cluster } from './cluster.ts';

/**
 * Reads the apiserver's audit log (JSON lines; the local clusters log every write, at Request
 * level for chatops-bot) to count the writes a test made. Take a mark before acting, then ask
 * for the writes since the mark, filtered by user and namespace:
 *
 *   const mark = auditMark('gz');
 *   ... act ...
 *   expect(await countBotWrites(mark, { namespace })).toBe(1);
 */
export interface AuditMark {
  readonly cluster: string;
  readonly file: string;
  readonly offset: number;
}

export interface AuditWrite {
  readonly auditID: string;
  readonly verb: string;
  readonly user: string;
  readonly resource: string;
  readonly subresource: string | undefined;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  /** HTTP status of the response (a refused write is still a request). */
  readonly code: number | undefined;
  readonly requestObject: unknown;
  /** Sent with dryRun=All: admitted and validated, never stored (not a write). */
  readonly dryRun: boolean;
}

export interface WriteFilter {
  /** Default chatops-bot. */
  readonly user?: string;
  readonly namespace?: string;
  /** Default create, update, patch, delete, deletecollection. */
  readonly verbs?: readonly string[];
  /** Only writes the apiserver accepted (status < 400). Default false. */
  readonly successfulOnly?: boolean;
  /** Dry runs (dryRun=All) store nothing, so they are left out unless asked for: only them (true) or all (undefined is "no"). */
  readonly dryRun?: 'only' | 'too';
}

const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];

export function auditMark(clusterName = 'gz'): AuditMark {
  const file = cluster(clusterName).auditLog;
  let offset: number;
  try {
    offset = statSync(file).size;
  } catch {
    offset = 0; // no write logged yet
  }
  return { cluster: clusterName, file, offset };
}


interface RawEvent {
  auditID?: string;
  stage?: string;
  verb?: string;
  user?: { username?: string };
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
  requestObject?: unknown;
  requestURI?: string;
}

/** Parses audit lines (a trailing partial line, still being written, is skipped). Pure. */
export function parseAuditLines(text: string): AuditWrite[] {
  const lines = text.split('\n');
  if (!text.endsWith('\n')) lines.pop();
  const seen = new Set<string>();
  const out: AuditWrite[] = [];
  for (const line of lines) {
    if (line.trim() === '') continue;
    let e: RawEvent;
    try {
      e = JSON.parse(line) as RawEvent;
    } catch {
      continue;
    }
    // One event per request: the final stage (the policy omits RequestReceived; a panic is
    // logged as Panic).
    if (e.stage !== 'ResponseComplete' && e.stage !== 'Panic') continue;
    const id = e.auditID ?? '';
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({
      auditID: id,
      verb: e.verb ?? '',
      user: e.user?.username ?? '',
      resource: e.objectRef?.resource ?? '',
      subresource: e.objectRef?.subresource,
      namespace: e.objectRef?.namespace,
      name: e.objectRef?.name,
      code: e.responseStatus?.code,
      requestObject: e.requestObject,
      dryRun: /[?&]dryRun=All(&|$)/.test(e.requestURI ?? ''),
    });
  }
  return out;
}

export function filterWrites(writes: readonly AuditWrite[], f: WriteFilter = {}): AuditWrite[] {
  const user = f.user ?? BOT_USER;
  const verbs = f.verbs ?? WRITE_VERBS;
  return writes.filter(
    (w) =>
      w.user === user &&
      verbs.includes(w.verb) &&
      (f.namespace === undefined || w.namespace === f.namespace) &&
      (f.successfulOnly !== true || (w.code !== undefined && w.code < 400)) &&
      (f.dryRun === 'too' || w.dryRun === (f.dryRun === 'only')),
  );
}

/** The writes since the mark, read once. */
export function writesSince(mark: AuditMark, f: WriteFilter = {}): AuditWrite[] {
  return filterWrites(parseAuditLines(readFileFrom(mark.file, mark.offset)), f);
}

/**
 * The writes since the mark once the log has settled: the apiserver logs a request when it
 * completes, which can be a moment after the client got its response, so read until two reads
 * `settleMs` apart agree.
 */
export async function botWrites(mark: AuditMark, f: WriteFilter = {}, settleMs = 400): Promise<AuditWrite[]> {
  let prev = writesSince(mark, f);
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, settleMs));
    const next = writesSince(mark, f);
    if (next.length === prev.length) return next;
    prev = next;
  }
  return prev;
}

export async function countBotWrites(mark: AuditMark, f: WriteFilter = {}): Promise<number> {
  return (await botWrites(mark, f)).length;
}
