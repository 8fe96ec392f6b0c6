import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { p1 } from './p1-ack.ts';
import { p2 } from './p2-first-write.ts';
import { p3 } from './p3-batch-upgrade.ts';
import { p4regex } from './p4-regex.ts';
import { p4 } from './p4-storm.ts';
import { p5 } from './p5-idle.ts';
import { p6 } from './p6-pod-batches.ts';
import { stopBenchRedis } from './lib/env.ts';
import { stopChildren } from './lib/procs.ts';
import { table, type Row } from './lib/stats.ts';

/**
 * `npm run bench [-- p1 p2 p5]`: runs the benchmarks, each beside its baseline measured in the
 * same run on the same machine, prints a table and writes .data/bench/<time>.json. Needs Redis
 * (REDIS_URL, else one is started under .data/) and, for P2, the local control plane up.
 */
const ALL: Readonly<Record<string, () => Promise<{ rows: Row[]; raw: unknown }>>> = { p1: () => p1(), p2: () => p2(), p3: () => p3(), p4: () => p4(), 'p4-regex': () => p4regex(), p5: () => p5(), p6: () => p6() };
const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(ALL);
for (const name of wanted) if (!Object.hasOwn(ALL, name)) throw new Error(`no benchmark ${name}; known: ${Object.keys(ALL).join(' ')}`);

// What the run started (its Redis, the servers under test) is stopped however it ends:
// finished, failed, or interrupted (Ctrl-C, SIGTERM).
let stopping = false;
async function stopEverything(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await stopChildren();
  stopBenchRedis();
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping what the benchmarks started\n`);
    void stopEverything().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

const rows: Row[] = [];
const raw: Record<string, unknown> = {};
try {
  for (const name of wanted) {
    const run = ALL[name];
    if (run === undefined) continue;
    process.stderr.write(`running ${name}…\n`);
    const r = await run();
    rows.push(...r.rows);
    raw[name] = r.raw;
  }
} catch (e) {
  await stopEverything();
  throw e;
}
await stopEverything();
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const at = new Date().toISOString();
process.stdout.write(`\n${at} on ${machine}\n\n${table(rows)}\n`);
mkdirSync('.data/bench', { recursive: true });
const file = `.data/bench/${at.replace(/[:.]/g, '-')}.json`;
writeFileSync(file, JSON.stringify({ at, machine, rows, raw }, null, 2));
process.stdout.write(`\nwritten ${file}\n`);
process.exit(0);
