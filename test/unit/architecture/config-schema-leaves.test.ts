import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importsOf, parseFile, rel, root } from './source-files.ts';

/**
 * Config is a leaf that everything may use (DESIGN.md), and nearly every module imports the
 * Config type from src/config/schema.ts: so the schema must not pull feature code in behind it.
 * Outside src/config, each project file it reaches (through any import, types included) must
 * import nothing at all, like core/duration.ts; checks that need feature code (alert matchers
 * compiled by RE2, references between sections) run after the schema, in src/config/load.ts.
 */
function reached(start: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const visit = (file: string): void => {
    if (out.has(file)) return;
    const edges = importsOf(parseFile(file));
    out.set(file, edges.map((e) => e.spec));
    for (const e of edges) if (e.target !== undefined) visit(e.target);
  };
  visit(start);
  return out;
}

describe('config schema', () => {
  it('reaches outside src/config only files that import nothing', () => {
    const files = reached(join(root, 'src/config/schema.ts'));
    const outside = [...files].filter(([f]) => !rel(f).startsWith('src/config/')).map(([f, imports]) => [rel(f), imports] as const);
    expect(outside.length).toBeGreaterThan(0);
    expect(outside.filter(([, imports]) => imports.length > 0)).toEqual([]);
  });
});
