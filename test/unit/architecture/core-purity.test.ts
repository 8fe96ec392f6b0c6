import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { filesIn, parseFile, rel, root } from './source-files.ts';

/**
 * src/core stays pure: no SDKs, no file / network / process I/O, no reading the environment
 * or the clock. Checked on the syntax tree of every file core imports, directly or through
 * other project files, so moving I/O one import away doesn't slip past.
 */
const coreDir = join(root, 'src/core');

const FORBIDDEN_MODULES = [
  /^@slack\//,
  /^@larksuiteoapi\//,
  /^@kubernetes\//,
  /^bullmq$/,
  /^ioredis$/,
  /^redis$/,
  /^undici$/,
  /^ws$/,
  /^pino/,
  /^@opentelemetry\/(?!api$)/,
  /^(node:)?(fs|fs\/promises|net|http|https|http2|dgram|tls|child_process|cluster|worker_threads|dns|os|process)$/,
];

interface Finding {
  file: string;
  what: string;
}

function inspect(file: string): { imports: string[]; findings: Finding[] } {
  const sf = parseFile(file, readFileSync(file, 'utf8'));
  const imports: string[] = [];
  const findings: Finding[] = [];
  const where = rel(file);
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      imports.push(node.moduleSpecifier.text);
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      findings.push({ file: where, what: 'dynamic import()' });
    }
    if (ts.isPropertyAccessExpression(node)) {
      const text = node.getText(sf);
      if (text === 'process.env' || text === 'Date.now' || text === 'Math.random' || text === 'performance.now') findings.push({ file: where, what: text });
    }
    if (ts.isIdentifier(node) && (node.text === 'process' || node.text === 'require' || node.text === 'fetch' || node.text === 'setTimeout' || node.text === 'setInterval')) {
      if (!ts.isPropertyAccessExpression(node.parent) || node.parent.expression === node) findings.push({ file: where, what: `global ${node.text}` });
    }
    if (ts.isNewExpression(node) && node.expression.getText(sf) === 'Date' && (node.arguments === undefined || node.arguments.length === 0)) {
      findings.push({ file: where, what: 'new Date() (reads the clock)' });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { imports, findings };
}

/** Every project file reachable from core through relative imports, with what it does wrong. */
function audit(entry: string[]): Finding[] {
  const seen = new Set<string>();
  const queue = [...entry];
  const findings: Finding[] = [];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const { imports, findings: f } = inspect(file);
    findings.push(...f);
    for (const spec of imports) {
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec));
      else if (FORBIDDEN_MODULES.some((re) => re.test(spec))) findings.push({ file: rel(file), what: `imports ${spec}` });
    }
  }
  return findings;
}

describe('core purity', () => {
  it('src/core and everything it imports does no I/O and reads no environment or clock', () => {
    const core = filesIn(coreDir);
    expect(core.length).toBeGreaterThan(10);
    expect(audit(core)).toEqual([]);
  });

  it.each([
    ["import { readFileSync } from 'node:fs';", 'imports node:fs'],
    ["import { WebClient } from '@slack/web-api';", 'imports @slack/web-api'],
    ["import * as k8s from '@kubernetes/client-node';", 'imports @kubernetes/client-node'],
    ["import http from 'http';", 'imports http'],
    ['export const t = Date.now();', 'Date.now'],
    ['export const e = process.env.HOME;', 'process.env'],
    ['export const d = new Date();', 'new Date() (reads the clock)'],
    ["export const m = await import('node:net');", 'dynamic import()'],
  ])('catches %s', (source, what) => {
    const dir = join(root, '.data', 'arch-test');
    const file = join(dir, `probe-${Math.abs(hash(source))}.ts`);
    ts.sys.writeFile(file, source);
    expect(audit([file]).map((f) => f.what)).toContain(what);
  });
});

function hash(s: string): number {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) | 0;
  return h;
}
