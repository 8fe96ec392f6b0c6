import { runRepl } from './chat/console/repl.ts';
import { formatProblems, loadConfig } from './config/load.ts';
import { defaultConfigPath } from './config/paths.ts';

/**
 * Composition root. Today `npm start` is a terminal chat on the embedded defaults (or the file
 * in CHATOPS_CONFIG) that previews: same grammar, policy and messages as every surface. The job
 * engine runs through `chatops worker` and `chatops run`; chat receivers and the web console
 * are added by their own issues.
 */
const file = process.env['CHATOPS_CONFIG'] ?? defaultConfigPath();
const loaded = loadConfig(file);
if (!loaded.ok) {
  process.stderr.write(`Config ${file} has problems:\n${formatProblems(loaded.error)}\n`);
  process.exit(78);
}
const config = loaded.value;
process.stdout.write(
  [
    `chatops: ${config.mode} mode, config ${file}`,
    `People: ${Object.keys(config.people).join(', ')}. Type commands as in chat (help, /deploy web v1.4.2 to prod, …);`,
    config.mode === 'local' ? '"as <person>" switches who you are; "exit" quits.' : '"exit" quits.',
    'This terminal chat previews: it parses, resolves and checks policy, and runs nothing. To run operations, see the README',
    '(REDIS_URL, `npm run chatops -- worker`, `npm run chatops -- run`). Not there yet: Slack, Lark, the web console.',
    '',
  ].join('\n'),
);
process.on('SIGTERM', () => process.exit(0));
await runRepl(config, process.stdin, process.stdout, () => new Date());
