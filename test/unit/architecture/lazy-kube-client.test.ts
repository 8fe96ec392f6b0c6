import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * @kubernetes/client-node costs about 70 MB once loaded, so the API role, the worker and the
 * request path load it only when they first talk to a cluster (src/kube/lazy-gateway.ts). A
 * static import of anything that reaches it (src/kube/workload.ts, rollout.ts, …) from those
 * modules would load it at start: importing them here, in a fresh process, must not.
 */
const root = resolve(import.meta.dirname, '../../..');
const run = promisify(execFile);

describe('the Kubernetes client is loaded lazily', () => {
  it('importing the API role, the request path and the worker loads no @kubernetes/client-node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chatops-lazy-'));
    const hook = join(dir, 'hook.mjs');
    writeFileSync(
      hook,
      `import { registerHooks } from 'node:module';
registerHooks({ load(url, ctx, next) { if (url.includes('/node_modules/@kubernetes/client-node/')) process.stdout.write('LOADED ' + url + '\\n'); return next(url, ctx); } });
`,
    );
    const modules = ['src/server/api.ts', 'src/service/requests.ts', 'src/service/services.ts', 'src/jobs/worker.ts', 'src/jobs/bind.ts', 'src/cli/run-command.ts', 'src/cli/worker-command.ts'];
    const script = `${modules.map((m) => `await import(${JSON.stringify(join(root, m))});`).join('\n')}\nprocess.stdout.write('imported\\n');`;
    const r = await run(process.execPath, ['--import', hook, '--input-type=module', '-e', script], { cwd: root });
    expect(r.stdout.split('\n').filter((l) => l !== '')).toEqual(['imported']);
  }, 30_000);
});
