import { createInterface } from 'node:readline';
import type { Config } from '../../config/schema.ts';
import { handleText } from '../../core/handle.ts';
import { renderText } from '../cli/render-text.ts';

/**
 * A terminal chat: type commands as in Slack, switch who you are with `as <person>` (local
 * mode only), see exactly what chat would show. Lines from a pipe work too.
 */
export async function runRepl(config: Config, input: NodeJS.ReadableStream, output: NodeJS.WritableStream, now: () => Date): Promise<void> {
  let actor = config.operator ?? Object.keys(config.people)[0];
  const interactive = (input as { isTTY?: boolean }).isTTY === true;
  const rl = createInterface({ input, output, terminal: interactive });
  const prompt = (): void => {
    if (interactive) {
      rl.setPrompt(`${actor ?? '?'}> `);
      rl.prompt();
    }
  };
  const say = (text: string): void => {
    output.write(text + '\n');
  };
  prompt();
  for await (const raw of rl) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) {
      prompt();
      continue;
    }
    if (line === 'exit' || line === 'quit') break;
    const as = /^as\s+(\S+)$/i.exec(line);
    if (as !== null) {
      const who = (as[1] ?? '').toLowerCase();
      if (config.mode !== 'local') say('Switching person is only possible in local mode.');
      else if (!Object.hasOwn(config.people, who)) say(`No person "${who}" in the config (known: ${Object.keys(config.people).join(', ')}).`);
      else {
        actor = who;
        say(`You are now ${who}.`);
      }
      prompt();
      continue;
    }
    const outcome = handleText(line, { config, actor, now: now(), locks: [], freezes: [] });
    if (outcome.kind === 'approval') {
      say(`/${outcome.command.verb} needs the job engine (\`npm run chatops -- run\` with REDIS_URL): nothing was done here.\n`);
      prompt();
      continue;
    }
    say(renderText(outcome.message));
    if (outcome.kind === 'decided' && outcome.decision.kind !== 'deny') say('(preview: nothing was queued; `npm run chatops -- run` with REDIS_URL runs it)');
    say('');
    prompt();
  }
  rl.close();
}
