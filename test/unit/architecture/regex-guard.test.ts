import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { filesIn, parseFile, rel, root } from './source-files.ts';

/**
 * JavaScript's RegExp backtracks, so a pattern built from text that came from chat, the config
 * or an alert can hold the event loop for hours. Such patterns run on RE2 (src/core/matchers.ts).
 * This guard finds every place in src/ where a RegExp is made from anything but a literal:
 * `new RegExp(x)` / `RegExp(x)`, and `.match(x)`, `.matchAll(x)`, `.search(x)` (which turn a
 * string into a RegExp). The few reviewed uses are listed below with why they are safe; an
 * entry that no longer matches anything is reported too, so the list stays true.
 */
interface Finding {
  readonly file: string;
  /** The call as written, e.g. "new RegExp(`^${x}$`)". */
  readonly code: string;
}

const REVIEWED: readonly (Finding & { readonly why: string })[] = [
  { file: 'src/chat/slack/commands.ts', code: "new RegExp(`(^|\\\\| )${verb} `, 'g')", why: 'verb is a command name from commands/ (the code), escaped' },
  { file: 'src/local/port.ts', code: 'new RegExp(`^(https?://(?:127\\\\.0\\\\.0\\\\.1|localhost)):${from}(?=/|$)`)', why: 'from is a port number' },
];

const LITERAL = new Set([ts.SyntaxKind.StringLiteral, ts.SyntaxKind.NoSubstitutionTemplateLiteral, ts.SyntaxKind.RegularExpressionLiteral]);
const CONVERTING = new Set(['match', 'matchAll', 'search']);

function isRegExpName(e: ts.Expression): boolean {
  if (ts.isIdentifier(e)) return e.text === 'RegExp';
  return ts.isPropertyAccessExpression(e) && e.name.text === 'RegExp' && ts.isIdentifier(e.expression) && e.expression.text === 'globalThis';
}

function findRegexConstruction(sf: ts.SourceFile): Finding[] {
  const out: Finding[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isNewExpression(node) || ts.isCallExpression(node)) {
      const first = node.arguments?.[0];
      const nonLiteral = first !== undefined && !LITERAL.has(first.kind);
      if (isRegExpName(node.expression) && (nonLiteral || first === undefined)) out.push({ file: rel(sf.fileName), code: node.getText(sf) });
      else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && CONVERTING.has(node.expression.name.text) && first !== undefined && first.kind !== ts.SyntaxKind.RegularExpressionLiteral) {
        out.push({ file: rel(sf.fileName), code: node.getText(sf) });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

describe('regex guard', () => {
  const files = filesIn(join(root, 'src'));
  // Parsed once, while the file is collected (no test timeout applies to that).
  const found = files.flatMap((f) => findRegexConstruction(parseFile(f)));
  const reviewed = (f: Finding) => REVIEWED.some((r) => r.file === f.file && r.code === f.code);

  it('src/ builds no RegExp from non-literal text outside the reviewed uses', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(found.filter((f) => !reviewed(f))).toEqual([]);
  });

  it('every reviewed use still exists', () => {
    expect(REVIEWED.filter((r) => !found.some((f) => f.file === r.file && f.code === r.code)).map((r) => r.file)).toEqual([]);
  });

  it.each([
    ['new RegExp(`^(?:${pattern})$`)', 1],
    ['RegExp(userText, "i")', 1],
    ['globalThis.RegExp(x)', 1],
    ["label.match(pattern)", 1],
    ["label.search('a.b')", 1],
    ["label.matchAll(re)", 1],
    ["new RegExp('^[a-z]+$')", 0],
    ['new RegExp(/a+/)', 0],
    ["label.match(/^a+$/)", 0],
    ["label.replace('a', 'b')", 0],
  ])('%s → %i finding(s)', (code, n) => {
    const sf = parseFile(join(root, 'src', 'probe.ts'), `export const x = ${code};`);
    expect(findRegexConstruction(sf)).toHaveLength(n);
  });
});
