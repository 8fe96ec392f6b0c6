import { parseMatcher } from '../core/matchers.ts';
import type { Problem } from './references.ts';

/**
 * Alert route matchers (`severity=~"critical|warning"`) checked as matchers: the syntax, and
 * each regex compiled by RE2 within its size bounds. Done after the schema, on the raw
 * document, so that the schema stays a description of shapes with only leaf dependencies
 * (the RE2 compiler is the alert matching's own code). The problem has the path and words the
 * schema used to give: `alerts.routes[0].matchers[1]: <what parseMatcher says>`.
 */
export function checkAlertMatchers(doc: unknown): Problem[] {
  const routes = field(field(doc, 'alerts'), 'routes');
  if (!Array.isArray(routes)) return [];
  const problems: Problem[] = [];
  routes.forEach((route: unknown, i) => {
    const matchers = field(route, 'matchers');
    if (!Array.isArray(matchers)) return;
    matchers.forEach((text: unknown, j) => {
      if (typeof text !== 'string') return;
      const m = parseMatcher(text);
      if (!m.ok) problems.push({ path: `alerts.routes[${i}].matchers[${j}]`, message: m.problem });
    });
  });
  return problems;
}

/** `v[key]` when v is a plain object, else undefined. */
function field(v: unknown, key: string): unknown {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>)[key] : undefined;
}
