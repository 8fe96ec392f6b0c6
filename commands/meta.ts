import { z } from 'zod';
import { defineCommand } from '../src/core/command-spec.ts';

export const help = defineCommand({
  verb: 'help',
  summary: 'List the commands, or explain one.',
  usage: 'help [<command>]',
  examples: ['/help', '/help deploy'],
  kind: 'meta',
  produces: 'meta help',
  positional: [{ key: 'topic' }],
  args: z.object({ topic: z.string().transform((s) => s.replace(/^\//, '').toLowerCase()).optional() }),
  argHelp: { topic: { expect: 'a command name such as deploy' } },
});

export const whoami = defineCommand({
  verb: 'whoami',
  summary: 'Show who the bot thinks you are, your groups and what you may do.',
  usage: 'whoami',
  examples: ['/whoami'],
  kind: 'meta',
  produces: 'meta whoami',
  positional: [],
  args: z.object({}),
  argHelp: {},
});
