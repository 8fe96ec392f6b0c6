import { closest } from '../core/suggest.ts';
import { POLICY_VERBS } from '../core/verbs.ts';
import { policyVerb } from '../core/policy.ts';

/**
 * Checks that every name one section uses is defined in another. It reads the raw document
 * (before the schema) defensively, so that shape errors and reference errors are reported
 * together in one run, each with the path of the offending entry.
 */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const keys = (v: unknown): string[] => (isRec(v) ? Object.keys(v) : []);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export function checkReferences(doc: unknown): Problem[] {
  if (!isRec(doc)) return [];
  const problems: Problem[] = [];
  const add = (path: string, message: string): void => {
    problems.push({ path, message });
  };
  const people = new Set(keys(doc['people']));
  const groups = new Set(keys(doc['groups']));
  const clusters = new Set(keys(doc['clusters']));
  const envs = new Set(keys(doc['environments']));
  const apps = new Set(keys(doc['apps']));
  const verbs = new Set(POLICY_VERBS);

  const unknown = (kind: string, value: string, known: Set<string>): string => {
    if (kind === 'verb' && policyVerb(value) !== value) return `"${value}" is authorized as ${policyVerb(value)}: name ${policyVerb(value)} instead`;
    const names = [...known];
    const near = closest(value, names);
    if (near.length > 0) return `unknown ${kind} "${value}" (did you mean ${near.join(' or ')}?)`;
    return `unknown ${kind} "${value}"${names.length > 0 ? ` (known: ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''})` : ''}`;
  };
  const checkNames = (path: string, v: unknown, kind: string, known: Set<string>, allowStar: boolean): void => {
    list(v).forEach((x, i) => {
      if (typeof x !== 'string') return;
      if (allowStar && x === '*') return;
      if (!known.has(x)) add(`${path}[${i}]`, unknown(kind, x, known));
    });
  };
  const checkSubjects = (path: string, v: unknown): void => {
    list(v).forEach((x, i) => {
      if (typeof x !== 'string' || x === '*') return;
      if (x.startsWith('group:')) {
        const g = x.slice('group:'.length);
        if (!groups.has(g)) add(`${path}[${i}]`, unknown('group', g, groups));
      } else if (!people.has(x)) {
        add(`${path}[${i}]`, unknown('person', x, people));
      }
    });
  };

  for (const g of groups) checkNames(`groups.${g}`, (doc['groups'] as Rec)[g], 'person', people, false);

  // A chat id must point at one person, or approvals could be given by the wrong one.
  // So must a console token: a token shared by two people would let one approve for the other.
  for (const platform of ['slack', 'lark', 'email', 'consoleTokenHash'] as const) {
    const seen = new Map<string, string>();
    for (const p of people) {
      const id = (doc['people'] as Rec)[p];
      const v = isRec(id) ? id[platform] : undefined;
      if (typeof v !== 'string') continue;
      // Emails are matched case-insensitively (identity.ts), so Alice@ and alice@ are one address.
      const key = platform === 'consoleTokenHash' ? v.replace(/^sha256:/, '').toLowerCase() : platform === 'email' ? v.trim().toLowerCase() : v;
      const other = seen.get(key);
      if (other === undefined) seen.set(key, p);
      else if (platform === 'consoleTokenHash') add(`people.${p}.${platform}`, `the same console token as ${other}'s: each person needs a token of their own`);
      else if (platform === 'email') add(`people.${p}.email`, `"${v}" is already ${other}'s email (emails are compared ignoring case)`);
      else add(`people.${p}.${platform}`, `"${v}" is already ${other}'s ${platform} id`);
    }
  }

  for (const e of envs) {
    const env = (doc['environments'] as Rec)[e];
    if (isRec(env)) checkNames(`environments.${e}.clusters`, env['clusters'], 'cluster', clusters, false);
  }
  for (const a of apps) {
    const app = (doc['apps'] as Rec)[a];
    if (isRec(app)) checkNames(`apps.${a}.envs`, app['envs'], 'environment', envs, false);
  }
  list(doc['access']).forEach((rule, i) => {
    if (!isRec(rule)) return;
    const at = `access[${i}]`;
    checkSubjects(`${at}.who`, rule['who']);
    checkNames(`${at}.verbs`, rule['verbs'], 'verb', verbs, true);
    checkNames(`${at}.envs`, rule['envs'], 'environment', envs, true);
    checkNames(`${at}.apps`, rule['apps'], 'app', apps, true);
    if (isRec(rule['approval'])) checkSubjects(`${at}.approval.from`, rule['approval']['from']);
  });
  list(doc['freezes']).forEach((f, i) => {
    if (isRec(f)) checkNames(`freezes[${i}].envs`, f['envs'], 'environment', envs, true);
  });
  list(isRec(doc['alerts']) ? doc['alerts']['routes'] : undefined).forEach((r, i) => {
    if (!isRec(r) || !isRec(r['match'])) return;
    const m = r['match'];
    if (typeof m['env'] === 'string' && !envs.has(m['env'])) add(`alerts.routes[${i}].match.env`, unknown('environment', m['env'], envs));
    if (typeof m['app'] === 'string' && !apps.has(m['app'])) add(`alerts.routes[${i}].match.app`, unknown('app', m['app'], apps));
  });
  list(isRec(doc['alerts']) ? doc['alerts']['kubernetes'] : undefined).forEach((k, i) => {
    if (isRec(k) && typeof k['cluster'] === 'string' && !clusters.has(k['cluster'])) add(`alerts.kubernetes[${i}].cluster`, unknown('cluster', k['cluster'], clusters));
  });
  if (typeof doc['operator'] === 'string' && !people.has(doc['operator'])) add('operator', unknown('person', doc['operator'], people));
  problems.push(...unauthenticatedAlertSources(doc));
  return problems;
}

/** The alert webhooks, by their key under alerts.sources. */
export const ALERT_SOURCES = ['alertmanager', 'webhook'] as const;

/** Whether an alert webhook's settings give no credentials (anyone may post). */
export function unauthenticated(auth: unknown): boolean {
  return isRec(auth) && auth['bearerToken'] === undefined && auth['username'] === undefined;
}

/**
 * An alert webhook without credentials lets anyone who reaches the bot post alerts into its
 * channels (and offer their buttons). Production mode (the default) says so on purpose or not at all.
 */
function unauthenticatedAlertSources(doc: Rec): Problem[] {
  const mode = doc['mode'] ?? 'production';
  const sources = isRec(doc['alerts']) ? doc['alerts']['sources'] : undefined;
  if (mode !== 'production' || !isRec(sources)) return [];
  return ALERT_SOURCES.filter((name) => unauthenticated(sources[name]) && (sources[name] as Rec)['allowUnauthenticated'] !== true).map((name) => ({
    path: `alerts.sources.${name}`,
    message:
      'no credentials: in production mode anyone who can reach the bot could post alerts. Give it a bearerToken (or username and password), or say allowUnauthenticated: true if something else (a network policy, a proxy) keeps others out',
  }));
}
