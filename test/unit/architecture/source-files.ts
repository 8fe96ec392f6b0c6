import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * The project's TypeScript sources as syntax trees, for the architecture tests (core purity,
 * import cycles, regex construction). Parsing only, no type checking: fast enough for the unit run.
 */
export const root = resolve(import.meta.dirname, '../../..');

export function filesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesIn(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

export function parseFile(file: string, text: string = readFileSync(file, 'utf8')): ts.SourceFile {
  return ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
}

export function rel(file: string): string {
  return relative(root, file);
}

export interface ImportEdge {
  /** As written: "./x.ts", "ioredis". */
  readonly spec: string;
  /** The file it names, for a relative import. */
  readonly target: string | undefined;
  /** `import type …` or every name imported as a type: erased at run time. */
  readonly typeOnly: boolean;
}

function typeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) return node.isTypeOnly;
  const c = node.importClause;
  if (c === undefined) return false; // import './side-effect.ts'
  if (c.isTypeOnly) return true;
  const named = c.namedBindings;
  return c.name === undefined && named !== undefined && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
}

/** The static imports and re-exports of a file (dynamic import() is not followed: it is how cycles are broken on purpose). */
export function importsOf(sf: ts.SourceFile): ImportEdge[] {
  const out: ImportEdge[] = [];
  for (const st of sf.statements) {
    if (!(ts.isImportDeclaration(st) || ts.isExportDeclaration(st))) continue;
    if (st.moduleSpecifier === undefined || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    const spec = st.moduleSpecifier.text;
    out.push({ spec, target: spec.startsWith('.') ? resolve(dirname(sf.fileName), spec) : undefined, typeOnly: typeOnly(st) });
  }
  return out;
}
