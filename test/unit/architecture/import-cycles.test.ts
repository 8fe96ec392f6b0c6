import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesIn, importsOf, parseFile, rel, root } from './source-files.ts';

/**
 * Arrows point one way (DESIGN.md): no file of src/ or commands/ reaches itself through its
 * imports, type-only imports included (they are erased at run time, but a circle of types is
 * the same tangle of responsibilities). Found as strongly connected components (Tarjan) of
 * the import graph; each is reported as the files in it.
 */
type Graph = ReadonlyMap<string, readonly string[]>;

function graphOf(files: readonly string[], source: (file: string) => string | undefined = () => undefined): Graph {
  const known = new Set(files);
  const g = new Map<string, string[]>();
  for (const file of files) {
    const text = source(file);
    const sf = text === undefined ? parseFile(file) : parseFile(file, text);
    g.set(
      rel(file),
      importsOf(sf)
        .map((e) => e.target)
        .filter((t): t is string => t !== undefined && known.has(t))
        .map(rel),
    );
  }
  return g;
}

/** Strongly connected components with more than one file, or a file importing itself. */
function cycles(g: Graph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string | undefined;
    do {
      w = stack.pop();
      if (w === undefined) break;
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1 || (g.get(v) ?? []).includes(v)) out.push(scc.sort());
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('import cycles', () => {
  // Parses every file: seconds on a busy machine, hence the runner's longer wait (no timing is asserted).
  it('src/ and commands/ have none', { timeout: 60_000 }, () => {
    const files = [...filesIn(join(root, 'src')), ...filesIn(join(root, 'commands'))];
    expect(files.length).toBeGreaterThan(100);
    expect(cycles(graphOf(files))).toEqual([]);
  });

  const at = (name: string) => join(root, '.data', 'cycle-probe', name);
  it.each([
    ['a → b → a', { 'a.ts': "import { b } from './b.ts';", 'b.ts': "import { a } from './a.ts';" }, [['a.ts', 'b.ts']]],
    ['a → b → c → a, types only', { 'a.ts': "import type { B } from './b.ts';", 'b.ts': "import { type C } from './c.ts';", 'c.ts': "export type { A } from './a.ts';" }, [['a.ts', 'b.ts', 'c.ts']]],
    ['a → b, b → c: none', { 'a.ts': "import { b } from './b.ts';", 'b.ts': "import { c } from './c.ts';", 'c.ts': 'export const c = 1;' }, []],
    ['a imports itself', { 'a.ts': "export { x } from './a.ts';" }, [['a.ts']]],
  ])('finds %s', (_name, sources: Record<string, string>, want: string[][]) => {
    const files = Object.keys(sources).map(at);
    const g = graphOf(files, (f) => sources[f.split('/').at(-1) ?? '']);
    expect(cycles(g).map((c) => c.map((f) => f.split('/').at(-1)))).toEqual(want);
  });
});
