import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commandDocs } from '../../../scripts/command-docs.ts';

describe('docs/commands.md', () => {
  it('matches the command specs (run npm run docs:commands after changing a command)', () => {
    expect(readFileSync(new URL('../../../docs/commands.md', import.meta.url), 'utf8')).toBe(commandDocs());
  });
});
