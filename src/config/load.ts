import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { err, ok, type Result } from '../core/result.ts';
import { checkAlertMatchers } from './alert-matchers.ts';
import { checkReferences, type Problem } from './references.ts';
import { configSchema, type Config } from './schema.ts';

export type { Problem };

/** `environments.prod.clusters[1]` from ['environments', 'prod', 'clusters', 1]. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? '(top level)' : out;
}

/**
 * Replaces ${VAR} and ${VAR:-default} in every string value with the environment's value.
 * Done on parsed values, not on the text, so a secret can't break the YAML around it and a
 * missing one is reported at its path (by name only: values are never echoed).
 */
export function substituteEnv(value: unknown, env: Readonly<Record<string, string | undefined>>, path: PropertyKey[], problems: Problem[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      problems.push({ path: formatPath(path), message: `environment variable ${name} is not set` });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, [...path, i], problems));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, [...path, k], problems)]));
  }
  return value;
}

function issueProblems(issues: readonly z.core.$ZodIssue[], base: readonly PropertyKey[] = []): Problem[] {
  const out: Problem[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the branch that came closest, rather than a bare "Invalid input".
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      out.push(...issueProblems(best, path));
    } else if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) out.push({ path: formatPath([...path, k]), message: 'unknown setting (check its spelling against docs/config-reference.md)' });
    } else {
      out.push({ path: formatPath(path), message: issue.message });
    }
  }
  return out;
}

/** Validates a parsed document. Every problem is returned at once, each with its path. */
/**
 * Chat platforms configured by environment alone (SLACK_*, LARK_*), for a config file that has
 * no section of its own for them: the section is written with ${VAR} references, so a missing
 * variable is reported by name like any other.
 */
export function platformsFromEnv(doc: unknown, env: Readonly<Record<string, string | undefined>>): unknown {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return doc;
  const out: Record<string, unknown> = { ...(doc as Record<string, unknown>) };
  const has = (k: string) => env[k] !== undefined && env[k] !== '';
  if (out['slack'] === undefined && (has('SLACK_BOT_TOKEN') || has('SLACK_SIGNING_SECRET') || has('SLACK_APP_TOKEN'))) {
    const mode = env['SLACK_MODE'] ?? (has('SLACK_APP_TOKEN') && !has('SLACK_SIGNING_SECRET') ? 'socket' : 'http');
    out['slack'] = {
      botToken: '${SLACK_BOT_TOKEN}',
      teamId: '${SLACK_TEAM_ID}',
      mode,
      ...(mode === 'http' || has('SLACK_SIGNING_SECRET') ? { signingSecret: '${SLACK_SIGNING_SECRET}' } : {}),
      ...(mode === 'socket' || has('SLACK_APP_TOKEN') ? { appToken: '${SLACK_APP_TOKEN}' } : {}),
      ...(has('SLACK_API_URL') ? { apiUrl: '${SLACK_API_URL}' } : {}),
    };
  }
  if (out['lark'] === undefined && (has('LARK_APP_ID') || has('LARK_APP_SECRET'))) {
    out['lark'] = {
      appId: '${LARK_APP_ID}',
      appSecret: '${LARK_APP_SECRET}',
      tenantKey: '${LARK_TENANT_KEY}',
      ...(has('LARK_ENCRYPT_KEY') || env['LARK_MODE'] !== 'ws' ? { encryptKey: '${LARK_ENCRYPT_KEY}' } : {}),
      ...(has('LARK_VERIFICATION_TOKEN') || env['LARK_MODE'] !== 'ws' ? { verificationToken: '${LARK_VERIFICATION_TOKEN}' } : {}),
      ...(has('LARK_DOMAIN') ? { domain: '${LARK_DOMAIN}' } : {}),
      ...(has('LARK_MODE') ? { mode: '${LARK_MODE}' } : {}),
    };
  }
  return out;
}

export function validateConfig(doc: unknown, env: Readonly<Record<string, string | undefined>>): Result<Config, Problem[]> {
  const problems: Problem[] = [];
  const substituted = substituteEnv(platformsFromEnv(doc, env), env, [], problems);
  const parsed = configSchema.safeParse(substituted);
  // A variable that is not set is reported once, not again as the empty value it left.
  const envPaths = new Set(problems.map((p) => p.path));
  if (!parsed.success) problems.push(...issueProblems(parsed.error.issues).filter((p) => !envPaths.has(p.path)));
  problems.push(...checkAlertMatchers(substituted).filter((p) => !envPaths.has(p.path)));
  problems.push(...checkReferences(substituted));
  if (problems.length > 0 || !parsed.success) return err(dedupe(problems));
  return ok(parsed.data);
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.path}\u0000${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function parseConfigText(text: string, env: Readonly<Record<string, string | undefined>>): Result<Config, Problem[]> {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return err(doc.errors.map((e) => ({ path: `line ${e.linePos?.[0].line ?? '?'}`, message: e.message.split('\n')[0] ?? e.message })));
  }
  return validateConfig(doc.toJS(), env);
}

/** Loads the config file. `env` is injected so tests and the CLI need no process.env tricks. */
export function loadConfig(file: string, env: Readonly<Record<string, string | undefined>> = process.env): Result<Config, Problem[]> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    return err([{ path: file, message: code === 'ENOENT' ? 'no such file' : `can't read it (${code})` }]);
  }
  return parseConfigText(text, env);
}

export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('\n');
}
