import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { p1 } from './p1-ack.ts';
import { p2 } from './p2-first-write.ts';
import { p3 } from './p3-batch-upgrade.ts';
import { p4regex } from './p4-regex.ts';
import { p4 } from './p4-storm.ts';
import { p5 } from './p5-idle.ts';
import { table, type Row } from './lib/stats.ts';

/**
 * `npm run bench [-- p1 p2 p5]`: runs the benchmarks, each beside its baseline measured in the
 * same run on the same machine, prints a table and writes .data/bench/<time>.json. Needs Redis
 * (REDIS_URL, else one is started under .data/) and, for P2, the local control plane up.
 */
const ALL: Readonly<Record<string, () => Promise<{ rows: Row[]; raw: unknown }>>> = { p1: () => p1(), p2: () => p2(), p3: () => p3(), p4: () => p4(), 'p4-regex': () => p4regex(), p5: () => p5() };
const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(ALL);
const rows: Row[] = [];
const raw: Record<string, unknown> = {};
for (const name of wanted) {
  const run = Object.hasOwn(ALL, name) ? ALL[name] : undefined;
  if (run === undefined) throw new Error(`no benchmark ${name}; known: ${Object.keys(ALL).join(' ')}`);
  process.stderr.write(`running ${name}…\n`);
  const r = await run();
  rows.push(...r.rows);
  raw[name] = r.raw;
}
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const at = new Date().toISOString();
process.stdout.write(`\n${at} on ${machine}\n\n${table(rows)}\n`);
mkdirSync('.data/bench', { recursive: true });
const file = `.data/bench/${at.replace(/[:.]/g, '-')}.json`;
writeFileSync(file, JSON.stringify({ at, machine, rows, raw }, null, 2));
process.stdout.write(`\nwritten ${file}\n`);
process.exit(0);
