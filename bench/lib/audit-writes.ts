import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readFileFrom } from '../../test/lib/files.ts';

/**
 * The Deployment patches one user made in some namespaces, read from the apiservers' audit logs
 * (the local clusters log every write; chatops-bot's at Request level, with the body), with the
 * time the apiserver received each (requestReceivedTimestamp, microseconds, as epoch ms).
 *
 * scripts/cluster/up.sh now sets --audit-log-maxsize high enough that the log never rotates,
 * but an apiserver started without it (or by someone else) rotates at 100 MB, lumberjack's
 * default: audit.log is renamed to audit-<time>.log and a new one is begun, which a
 * 1,000-Deployment run easily crosses. A mark therefore keeps the file's inode, and reading
 * from it follows the marked file to its rotated name, then every newer one.
 */
export interface PatchSeen {
  readonly at: number;
  readonly name: string;
  /** The image the patch set, when its body shows one. */
  readonly image: string | undefined;
  /** The kubernetes.io/change-cause the patch set (the bot writes one), if any. */
  readonly cause: string | undefined;
}

export interface AuditMark {
  readonly file: string;
  readonly ino: number;
  readonly offset: number;
}

export function auditMark(file: string): AuditMark {
  try {
    const st = statSync(file);
    return { file, ino: st.ino, offset: st.size };
  } catch {
    return { file, ino: -1, offset: 0 };
  }
}

/** Everything logged since the mark, across rotations, oldest first. */
function sinceMark(m: AuditMark): string {
  const dir = dirname(m.file);
  const stem = basename(m.file, '.log');
  const files = readdirSync(dir)
    .filter((f) => f === basename(m.file) || (f.startsWith(`${stem}-`) && f.endsWith('.log')))
    .map((f) => ({ path: join(dir, f), st: statSync(join(dir, f)) }))
    .sort((a, b) => a.st.mtimeMs - b.st.mtimeMs);
  const marked = files.findIndex((f) => f.st.ino === m.ino);
  // The marked file gone altogether (removed, not rotated): read what there is now.
  if (marked === -1) return readFileFrom(m.file, 0);
  return files.slice(marked).map((f, i) => readFileFrom(f.path, i === 0 ? m.offset : 0)).join('');
}


export function epochMs(ts: string): number {
  const us = /\.(\d+)Z$/.exec(ts)?.[1] ?? '0';
  return Date.parse(ts.replace(/\.\d+Z$/, 'Z')) + Number(`0.${us}`) * 1000;
}

interface Entry {
  verb?: string;
  user?: { username?: string };
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
  requestReceivedTimestamp?: string;
  requestURI?: string;
  requestObject?: { metadata?: { annotations?: Record<string, string> }; spec?: { template?: { spec?: { containers?: { image?: string }[] } } } };
}

/** Stored patches (not dry runs) in the namespace `namespace`, or in every namespace whose name ends with `{ suffix }`. */
export function deploymentPatches(mark: AuditMark, namespace: string | { readonly suffix: string }, user = 'chatops-bot'): PatchSeen[] {
  const out: PatchSeen[] = [];
  const hint = typeof namespace === 'string' ? namespace : namespace.suffix;
  const wanted = (ns: string | undefined) => ns !== undefined && (typeof namespace === 'string' ? ns === namespace : ns.endsWith(namespace.suffix));
  for (const line of sinceMark(mark).split('\n')) {
    if (!line.includes(hint) || !line.includes(user)) continue;
    const e = JSON.parse(line) as Entry;
    const r = e.objectRef;
    if (e.user?.username !== user || e.verb !== 'patch' || r?.resource !== 'deployments' || r.subresource !== undefined || !wanted(r.namespace)) continue;
    if ((e.responseStatus?.code ?? 0) >= 400 || e.requestReceivedTimestamp === undefined) continue;
    // A request-time dry run (dryRun=All) of the same patch is admitted but never stored: not a write.
    if (/[?&]dryRun=All(&|$)/.test(e.requestURI ?? '')) continue;
    out.push({
      at: epochMs(e.requestReceivedTimestamp),
      name: r.name ?? '?',
      image: e.requestObject?.spec?.template?.spec?.containers?.[0]?.image,
      cause: e.requestObject?.metadata?.annotations?.['kubernetes.io/change-cause'],
    });
  }
  return out.sort((a, b) => a.at - b.at);
}
