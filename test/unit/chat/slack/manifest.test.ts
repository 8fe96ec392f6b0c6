import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { commands } from '../../../../commands/index.ts';
import {
  OPS_DESCRIPTION,
  OPS_HIGHLIGHTS,
  OPS_USAGE_HINT,
  SLASH_COMMANDS,
  SLASH_LIMITS,
  UMBRELLA,
  commandLine,
  isSlashCommand,
  slashDescription,
  usageHint,
} from '../../../../src/chat/slack/commands.ts';
import { parseCommand } from '../../../../src/core/parse.ts';

/**
 * manifest.yml is what people import into Slack; it must match the code: the same slash
 * commands, descriptions and usage hints derived from commands/ by the rules in
 * src/chat/slack/commands.ts (description = summary shortened to 100 chars, hint = usage without
 * the verb; /ops has its own fixed text), one endpoint, and the scopes the bot needs.
 */
interface SlashEntry {
  command: string;
  url?: string;
  description: string;
  usage_hint?: string;
  should_escape?: boolean;
}
interface Manifest {
  _metadata?: { major_version?: number };
  display_information: { name: string; description?: string };
  features: { bot_user: { display_name: string }; slash_commands: SlashEntry[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    interactivity: { is_enabled: boolean; request_url?: string };
    event_subscriptions: { request_url?: string; bot_events: string[] };
    socket_mode_enabled: boolean;
  };
}

const manifest = parse(readFileSync(resolve(import.meta.dirname, '../../../../manifest.yml'), 'utf8')) as Manifest;
const slash = manifest.features.slash_commands;
const byName = new Map(slash.map((s) => [s.command.replace(/^\//, ''), s]));
const registry: Readonly<Record<string, (typeof commands)[keyof typeof commands]>> = commands;

describe('manifest.yml', () => {
  it('has the top-level keys Slack needs', () => {
    expect(manifest._metadata?.major_version).toBe(1);
    expect(manifest.display_information.name.length).toBeGreaterThan(0);
    expect(manifest.display_information.name.length).toBeLessThanOrEqual(35);
    expect((manifest.display_information.description ?? '').length).toBeLessThanOrEqual(140);
    expect(manifest.features.bot_user.display_name).toBeTruthy();
  });

  it('registers exactly SLASH_COMMANDS, once each', () => {
    expect(slash.map((s) => s.command).sort()).toEqual(SLASH_COMMANDS.map((c) => `/${c}`).sort());
    expect(byName.size).toBe(slash.length);
  });

  it.each(SLASH_COMMANDS.filter((c) => c !== UMBRELLA))('/%s: is a verb, with description and usage hint from its spec', (verb) => {
    const spec = registry[verb];
    expect(spec, `no command spec for /${verb}`).toBeDefined();
    if (spec === undefined) return;
    const entry = byName.get(verb);
    expect(entry?.description).toBe(slashDescription(spec));
    expect(entry?.usage_hint).toBe(usageHint(spec));
    // The hint is the usage minus the verb, so the command line it describes is the usage.
    expect(`${verb} ${entry?.usage_hint ?? ''}`).toBe(spec.usage);
  });

  it('/ops is the umbrella, naming real verbs', () => {
    const ops = byName.get(UMBRELLA);
    expect(ops?.description).toBe(OPS_DESCRIPTION);
    expect(ops?.usage_hint).toBe(OPS_USAGE_HINT);
    for (const verb of OPS_HIGHLIGHTS) expect(Object.keys(registry)).toContain(verb);
  });

  it('every verb in the registry is reachable: its own command or /ops', () => {
    expect(SLASH_COMMANDS).toContain(UMBRELLA);
    for (const spec of Object.values(registry)) {
      const viaOwn = isSlashCommand(spec.verb);
      const example = spec.examples[0] ?? spec.verb;
      // What a person types after the command: "/deploy web …" → "web …" under /deploy, "/status web" → "status web" under /ops.
      const line = viaOwn ? commandLine(`/${spec.verb}`, example.replace(/^\/\S+\s*/, '')) : commandLine(`/${UMBRELLA}`, example.replace(/^\//, ''));
      const parsed = parseCommand(line, commands);
      expect(parsed.ok ? parsed.value.verb : parsed.error, line).toBe(spec.verb);
    }
  });

  it('stays inside Slack limits for slash commands', () => {
    for (const s of slash) {
      expect(s.command).toMatch(/^\/[a-z0-9_-]+$/);
      expect(s.command.length).toBeLessThanOrEqual(SLASH_LIMITS.command);
      expect(s.description.length).toBeGreaterThan(0);
      expect(s.description.length).toBeLessThanOrEqual(SLASH_LIMITS.description);
      expect((s.usage_hint ?? '').length).toBeLessThanOrEqual(SLASH_LIMITS.usageHint);
      expect(s.should_escape).toBe(false);
    }
  });

  it('points every URL at the one /slack/events endpoint (HTTP mode)', () => {
    const urls = [...slash.map((s) => s.url), manifest.settings.interactivity.request_url, manifest.settings.event_subscriptions.request_url];
    for (const u of urls) expect(u).toMatch(/^https:\/\/[^/]+\/slack\/events$/);
    expect(new Set(urls).size).toBe(1);
    expect(manifest.settings.socket_mode_enabled).toBe(false);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions.bot_events).toContain('app_mention');
  });

  it('asks for the scopes the bot uses', () => {
    for (const scope of ['commands', 'chat:write', 'chat:write.public', 'app_mentions:read', 'users:read', 'users:read.email']) {
      expect(manifest.oauth_config.scopes.bot).toContain(scope);
    }
  });
});

describe('slash command helpers', () => {
  it('usageHint drops the verb at the start of each alternative', () => {
    expect(usageHint(commands.lock)).toBe('<env> | <app> in <env> [for=<duration>] [--reason "<why>"]');
    expect(usageHint(commands.deploy).startsWith('<app> <tag | @digest | full image> to <env>')).toBe(true);
  });

  it('slashDescription keeps short summaries and shortens long ones to ≤100 chars', () => {
    expect(slashDescription(commands.scale)).toBe(commands.scale.summary);
    for (const spec of Object.values(registry)) {
      const d = slashDescription(spec);
      expect(d.length).toBeLessThanOrEqual(SLASH_LIMITS.description);
      // Either the summary, the summary without its parenthetical remarks, or visibly shortened.
      if (d !== spec.summary && d !== spec.summary.replace(/\s*\([^()]*\)/g, '')) expect(d.endsWith('…')).toBe(true);
    }
  });

  it('commandLine turns a slash command into the line the parser reads', () => {
    expect(commandLine('/deploy', ' web v1.4.2 to prod ')).toBe('deploy web v1.4.2 to prod');
    expect(commandLine('/ops', 'status web in prod')).toBe('status web in prod');
    expect(commandLine('ops', '')).toBe('');
    expect(commandLine('/scale', '')).toBe('scale');
  });
});
