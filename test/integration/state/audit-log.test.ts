import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { testRedis } from '../support/redis.ts';
import { createAuditLog, redact, type AuditEntry, type AuditLog } from '../../../src/audit/log.ts';

/** The audit stream on a real Redis, each log under its own prefix; all removed at the end. */
const { redis, root } = testRedis('audit');

const T0 = new Date('2026-11-25T10:00:00Z');
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);
const fresh = (): { log: AuditLog; prefix: string } => {
  const prefix = `${root}${randomUUID()}:`;
  return { log: createAuditLog(redis, prefix), prefix };
};

const entry = (n: number, over: Partial<AuditEntry> = {}): AuditEntry => ({
  at: at(n),
  kind: 'step',
  actor: 'bot',
  summary: `step ${n}`,
  detail: { n },
  ...over,
});

describe('audit log: query', () => {
  const { log } = fresh();
  // A small history: two operations on two apps, asked by two people.
  const history: AuditEntry[] = [
    entry(0, { kind: 'requested', actor: 'alice', opId: 'op-1', approvalId: 'ap-1', app: 'web', env: 'prod', summary: 'alice asked to deploy web 1.2.3 to prod' }),
    entry(1, { kind: 'approved', actor: 'bob', opId: 'op-1', approvalId: 'ap-1', app: 'web', env: 'prod', summary: 'bob approved' }),
    entry(2, { kind: 'started', opId: 'op-1', app: 'web', env: 'prod', cluster: 'gz', summary: 'deploy started', traceId: 'trace-1' }),
    entry(3, { kind: 'requested', actor: 'carol', opId: 'op-2', app: 'api', env: 'staging', summary: 'carol asked to scale api' }),
    entry(4, { kind: 'succeeded', opId: 'op-1', app: 'web', env: 'prod', cluster: 'gz', summary: 'deploy done' }),
    entry(5, { kind: 'setting', actor: 'bob', env: 'prod', summary: 'bob froze prod for 2h', detail: { until: '2026-11-25T12:05:00Z' } }),
  ];
  beforeAll(async () => {
    for (const e of history) await log.append(e);
  });

  // [case, query, summaries expected, newest first]
  const rows: [string, Parameters<AuditLog['query']>[0], string[]][] = [
    ['everything, newest first', { limit: 10 }, ['bob froze prod for 2h', 'deploy done', 'carol asked to scale api', 'deploy started', 'bob approved', 'alice asked to deploy web 1.2.3 to prod']],
    ['a limit', { limit: 2 }, ['bob froze prod for 2h', 'deploy done']],
    ['by app', { app: 'api', limit: 10 }, ['carol asked to scale api']],
    ['by env', { env: 'prod', limit: 3 }, ['bob froze prod for 2h', 'deploy done', 'deploy started']],
    ['by actor', { by: 'bob', limit: 10 }, ['bob froze prod for 2h', 'bob approved']],
    ['by operation', { opId: 'op-1', limit: 10 }, ['deploy done', 'deploy started', 'bob approved', 'alice asked to deploy web 1.2.3 to prod']],
    ['by approval', { approvalId: 'ap-1', limit: 10 }, ['bob approved', 'alice asked to deploy web 1.2.3 to prod']],
    ['by kind', { kind: 'requested', limit: 10 }, ['carol asked to scale api', 'alice asked to deploy web 1.2.3 to prod']],
    ['filters combine', { app: 'web', by: 'alice', limit: 10 }, ['alice asked to deploy web 1.2.3 to prod']],
    ['nothing matches', { app: 'nope', limit: 10 }, []],
    ['a zero limit', { limit: 0 }, []],
  ];

  it.each(rows)('%s', async (_name, q, summaries) => {
    expect((await log.query(q)).map((r) => r.summary)).toEqual(summaries);
  });

  it('returns each entry as it was appended, with its stream id', async () => {
    const [started] = await log.query({ kind: 'started', limit: 1 });
    expect(started).toEqual({ ...history[2], id: expect.stringMatching(/^\d+-\d+$/) as unknown });
  });
});

describe('audit log: paging', () => {
  it('pages through more entries than one read returns, and continues from a cursor', async () => {
    const { log } = fresh();
    for (let n = 0; n < 450; n++) await log.append(entry(n, { app: n % 3 === 0 ? 'web' : 'api' }));
    const web = await log.query({ app: 'web', limit: 1000 });
    expect(web).toHaveLength(150);
    expect(web[0]?.summary).toBe('step 447');
    expect(web.at(-1)?.summary).toBe('step 0');

    const page1 = await log.query({ limit: 250 });
    const page2 = await log.query({ limit: 250, before: page1.at(-1)?.id as string });
    expect(page1.map((r) => r.summary).slice(0, 2)).toEqual(['step 449', 'step 448']);
    expect(page2).toHaveLength(200);
    expect(page2[0]?.summary).toBe('step 199');
    expect(new Set([...page1, ...page2].map((r) => r.id)).size).toBe(450);
  });
});

describe('audit log: replays', () => {
  it('appends an entry with a dedupe key once, returning the same id to the replay', async () => {
    const { log } = fresh();
    const e = entry(1, { kind: 'approved', actor: 'bob', approvalId: 'ap-9' });
    const first = await log.append(e, { dedupeKey: 'approved:ap-9' });
    const again = await log.append(e, { dedupeKey: 'approved:ap-9' });
    expect(first.appended).toBe(true);
    expect(again).toEqual({ id: first.id, appended: false });
    expect(await log.query({ limit: 10 })).toHaveLength(1);
  });

  it('10 concurrent replays append once', async () => {
    const { log, prefix } = fresh();
    const results = await Promise.all(Array.from({ length: 10 }, () => log.append(entry(1, { kind: 'failed' }), { dedupeKey: 'failed:op-3' })));
    expect(results.filter((r) => r.appended)).toHaveLength(1);
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(await redis.xlen(`${prefix}audit`)).toBe(1);
  });

  it('without a dedupe key every append is kept (append-only, nothing trimmed)', async () => {
    const { log, prefix } = fresh();
    await log.append(entry(1));
    await log.append(entry(1));
    expect(await redis.xlen(`${prefix}audit`)).toBe(2);
  });
});

describe('audit log: secrets', () => {
  it.each([
    ['a token field', { botToken: 'xoxb-123' }, { botToken: '[redacted]' }],
    ['a password, nested', { db: { password: 'hunter2', host: 'db' } }, { db: { password: '[redacted]', host: 'db' } }],
    ['a token-looking value under an innocent key', { note: 'xapp-1-abc' }, { note: '[redacted]' }],
    ['a bearer header in a list', { headers: ['Bearer abc', 'x'] }, { headers: ['[redacted]', 'x'] }],
    ['ordinary facts stay', { image: 'registry.example.com/web:1.2.3', replicas: 3 }, { image: 'registry.example.com/web:1.2.3', replicas: 3 }],
  ])('redacts %s', (_name, detail, expected) => {
    expect(redact(detail)).toEqual(expected);
  });

  it('never stores a secret in the stream', async () => {
    const { log, prefix } = fresh();
    await log.append(entry(1, { detail: { signingSecret: 's3cr3t', image: 'web:1' } }));
    const raw = JSON.stringify(await redis.xrange(`${prefix}audit`, '-', '+'));
    expect(raw).not.toContain('s3cr3t');
    expect(raw).toContain('web:1');
  });
});

describe('audit log: export', () => {
  it('writes JSON lines oldest first to a stream, and incrementally after the last export', async () => {
    const { log } = fresh();
    for (let n = 0; n < 5; n++) await log.append(entry(n));
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString('utf8')));
    const first = await log.exportJsonl(out);
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { summary: string; at: string; id: string });
    expect(first.count).toBe(5);
    expect(lines.map((l) => l.summary)).toEqual(['step 0', 'step 1', 'step 2', 'step 3', 'step 4']);
    expect(lines[0]?.at).toBe(at(0).toISOString());
    expect(first.lastId).toBe(lines[4]?.id);

    await log.append(entry(5));
    const more: string[] = [];
    const second = await log.exportJsonl((line) => more.push(line), { afterId: first.lastId as string });
    expect(second.count).toBe(1);
    expect(more.map((l) => (JSON.parse(l) as { summary: string }).summary)).toEqual(['step 5']);
  });

  it('exports nothing from an empty log', async () => {
    const lines: string[] = [];
    expect(await fresh().log.exportJsonl((l) => lines.push(l))).toEqual({ count: 0, lastId: undefined });
  });
});
