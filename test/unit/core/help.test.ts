import { describe, expect, it } from 'vitest';
import { commands } from '../../../commands/index.ts';
import { helpMessage } from '../../../src/core/messages.ts';
import { parseCommand } from '../../../src/core/parse.ts';

describe('help and specs', () => {
  it('lists every verb', () => {
    const m = helpMessage(commands, undefined);
    const text = m.sections?.flatMap((s) => s.lines).join('\n') ?? '';
    for (const verb of Object.keys(commands)) expect(text).toContain(`/${verb}`);
  });

  it.each(Object.values(commands).map((s) => [s.verb, s] as const))('%s: every example parses to that verb', (verb, spec) => {
    expect(spec.examples.length).toBeGreaterThan(0);
    for (const ex of spec.examples) {
      const r = parseCommand(ex, commands);
      expect(r.ok ? r.value.verb : r.error).toBe(verb);
    }
  });

  it.each(Object.values(commands).map((s) => [s.verb, s] as const))('%s: every argument is documented', (_verb, spec) => {
    expect(Object.keys(spec.argHelp).sort()).toEqual(Object.keys(spec.args.shape).sort());
  });

  it('explains one verb with usage, examples and arguments', () => {
    const m = helpMessage(commands, 'rollback');
    expect(m.fields[0]?.value).toBe(`/${commands.rollback.usage}`);
    expect(m.sections?.[0]?.lines).toEqual(commands.rollback.examples);
  });
});
