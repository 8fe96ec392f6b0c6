import type { Services } from '../service/services.ts';
import type { Correlation } from './message.ts';

/**
 * "This started right after a deploy": the newest operation the bot ran on the alert's app in
 * its environment within the window before the alert, read from the operation records. Only
 * changes that ran (or are running) count; requests still waiting for approval changed nothing.
 */
const RAN = new Set(['running', 'succeeded', 'failed', 'paused', 'blocked']);
const CHANGES = new Set(['deploy', 'upgrade', 'rollback', 'restart', 'scale']);

/** The tag or digest of an image reference: "registry/x/web:v1.4.2" → "v1.4.2". */
export function versionOf(image: string | undefined): string | undefined {
  if (image === undefined) return undefined;
  const at = image.indexOf('@');
  if (at >= 0) return image.slice(at + 1, at + 20);
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? image.slice(colon + 1) : undefined;
}

export async function findCorrelation(s: Services, app: string, env: string, alertAt: number, windowMs: number): Promise<Correlation | undefined> {
  const [op] = await s.ops.list(1, (r) => r.app === app && r.env === env && CHANGES.has(r.kind) && RAN.has(r.status) && Date.parse(r.createdAt) <= alertAt + 60_000 && Date.parse(r.createdAt) >= alertAt - windowMs);
  if (op === undefined) return undefined;
  const [requested] = await s.audit.query({ opId: op.id, kind: 'requested', limit: 1 });
  const spec = (requested?.detail as { spec?: { image?: string } } | undefined)?.spec;
  return { opId: op.id, kind: op.kind, app: op.app, env: op.env, by: op.requestedBy, version: versionOf(spec?.image), at: Date.parse(op.createdAt), status: op.status };
}
