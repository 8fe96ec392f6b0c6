import { describe, expect, it } from 'vitest';
import { isLoopbackAddress, isLoopbackBind, localBindProblem } from '../../../src/local/loopback.ts';

describe('loopback addresses', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['::1', true],
    ['[::1]', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    ['128.0.0.1', false],
    ['localhost', false],
    ['', false],
  ])('%s: %s', (address, want) => {
    expect(isLoopbackAddress(address)).toBe(want);
  });

  it.each([
    ['localhost', true],
    ['127.0.0.1', true],
    ['::1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['', false],
    ['chatops.example.com', false],
  ])('binding %s stays on this machine: %s', (host, want) => {
    expect(isLoopbackBind(host)).toBe(want);
  });

  it('refuses a non-loopback address in local mode only, naming it and what to do instead', () => {
    expect(localBindProblem('local', '127.0.0.1')).toBeUndefined();
    expect(localBindProblem('production', '0.0.0.0')).toBeUndefined();
    const problem = localBindProblem('local', '0.0.0.0') ?? '';
    expect(problem).toContain('0.0.0.0');
    expect(problem).toContain('--host 127.0.0.1');
    expect(problem).toContain('mode: production');
  });
});
