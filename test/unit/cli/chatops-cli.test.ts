import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/** The real CLI as a user runs it: a child process on the project's Node, with the example config. */
const run = promisify(execFile);
const cli = new URL('../../../src/cli/chatops.ts', import.meta.url).pathname;
const example = new URL('../../../deploy/config.example.yaml', import.meta.url).pathname;

async function chatops(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await run(process.execPath, [cli, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env } });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

describe('chatops CLI', () => {
  it('says who may approve a prod deploy and that nothing ran', async () => {
    const r = await chatops(['run', '--as', 'alice', '/deploy web v1.4.2 to prod']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Approval needed: Deploy web in prod');
    expect(r.out).toContain('Who may approve: bob, carol');
    expect(r.out).toContain('registry.example.com/web:v1.4.2');
    expect(r.out).toContain('Preview only: no Redis is configured');
  });

  it('explains a usage error and exits 2', async () => {
    const r = await chatops(['run', '--as', 'alice', '/delpoy web v1 to prod']);
    expect(r.code).toBe(2);
    expect(r.out).toContain('Did you mean `deploy`?');
    expect(r.out).toContain('E_UNKNOWN_VERB');
  });

  it('exits 1 on a denial and says why', async () => {
    const r = await chatops(['run', '--as', 'alice', '/freeze prod for 2h --reason test']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('No access rule lets alice freeze in prod');
  });

  it('refuses --as outside local mode, so nobody can approve as someone else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chatops-cli-'));
    const file = join(dir, 'prod.yaml');
    writeFileSync(file, readFileSync(example, 'utf8').replace('mode: local', 'mode: production'));
    const r = await chatops(['run', '--config', file, '--as', 'bob', '/deploy web v1.4.2 to prod']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--as is only allowed in local mode');
    expect(r.out).toBe('');
    // Without --as it acts as the operator (alice), who needs someone else's approval.
    const own = await chatops(['run', '--config', file, '/deploy web v1.4.2 to prod']);
    expect(own.out).toContain('not alice');
  });

  it('rejects an unknown --as person', async () => {
    const r = await chatops(['run', '--as', 'mallory', '/status']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('no such person');
  });

  it('config check passes the example and lists every problem of a broken file', async () => {
    const good = await chatops(['config', 'check', example]);
    expect(good.code).toBe(0);
    expect(good.out).toContain('OK');
    const bad = await chatops(['config', 'check', new URL('../../fixtures/broken-config.yaml', import.meta.url).pathname], { SLACK_BOT_TOKEN: 'xoxb-x' });
    expect(bad.code).toBe(78);
    expect(bad.err).toContain('environments.prod.clusters[1]: unknown cluster "nj-prod"');
    expect(bad.err.split('\n').filter((l) => l.includes(': ')).length).toBeGreaterThanOrEqual(13);
  });

  it('config check refuses, naming each: an alert webhook without credentials in production, and a matcher RE2 cannot compile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chatops-cli-'));
    const file = join(dir, 'prod.yaml');
    const alerts = ['alerts:', '  sources:', '    alertmanager: {}', '    webhook: { allowUnauthenticated: true }', '  routes:', '    - matchers: [\'alertname=~"(?!Watchdog).*"\']', '      channels: [console:alerts]', ''].join('\n');
    writeFileSync(file, readFileSync(example, 'utf8').replace('mode: local', 'mode: production').replace(/^alerts:\n(?: .*\n|\n)*/m, alerts));
    const r = await chatops(['config', 'check', file]);
    expect(r.code).toBe(78);
    expect(r.err).toContain('alerts.sources.alertmanager: no credentials: in production mode anyone who can reach the bot could post alerts');
    expect(r.err).not.toContain('alerts.sources.webhook');
    expect(r.err).toContain('alerts.routes[0].matchers[0]: alertname=~"(?!Watchdog).*": not a regular expression in RE2 syntax, which Alertmanager uses (invalid or unsupported Perl syntax: `(?!`)');
  });

  it('prints help generated from the command specs', async () => {
    const r = await chatops(['run', '--as', 'alice', 'help scale']);
    expect(r.out).toContain('/scale <app> (<replicas> | suggest cpu=<50%>');
    expect(r.out).toContain('/scale web 5 in prod');
  });
});
