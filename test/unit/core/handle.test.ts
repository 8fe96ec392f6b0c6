import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import { handleText } from '../../../src/core/handle.ts';

let config: Config;
beforeAll(() => {
  const r = loadConfig(new URL('../../fixtures/policy-config.yaml', import.meta.url).pathname, {});
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  config = r.value;
});

const NOW = new Date('2026-11-25T10:00:00Z');

/**
 * Decisions on something that exists (an operation, an alert group) are not asked of policy
 * before their target is known: they are `deferred`, so that the service asks it against the
 * target's environment and apps, as their buttons do. Everything else is decided at once.
 * In the fixture, nobody has a rule for every environment but reads and settings.
 */
describe('handleText: decisions are checked against their target', () => {
  it.each([
    ['/continue op-7f3a2c', 'alice', 'deferred'],
    ['/retry op-7f3a2c', 'dave', 'deferred'],
    ['/abort op-7f3a2c --rollback', 'dave', 'deferred'],
    ['/abort op-7f3a2c', 'alice', 'deferred'],
    ['/ack al-3f9c', 'alice', 'deferred'],
    ['/silence al-3f9c for 2h', 'alice', 'deferred'],
    // An unknown person too: the target's check refuses them (they are known by nobody's rule).
    ['/continue op-7f3a2c', undefined, 'deferred'],
    // By labels, a silence names its own scope: decided at once.
    ['/silence app=web env=staging for 30m', 'alice', 'decided:deny'],
    ['/deploy web v2 to staging', 'alice', 'decided:allow'],
    ['/deploy web v2 to prod', 'alice', 'decided:approval'],
  ])('%s as %s → %s', (text, actor, expected) => {
    const o = handleText(text, { config, actor, now: NOW, locks: [], freezes: [] });
    expect(o.kind === 'decided' ? `decided:${o.decision.kind}` : o.kind).toBe(expected);
    if (o.kind === 'deferred') expect(o.message.text).toMatch(/Checked against the (operation|alert)/);
  });
});
