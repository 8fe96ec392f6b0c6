import type { AnySpec } from '../../core/command-spec.ts';

/**
 * The Slack slash commands the app registers (manifest.yml, kept in sync by a test). The four
 * job verbs people type most get their own command; /ops is the umbrella that carries every
 * verb (`/ops status web in prod`), so nothing needs a command of its own to be reachable.
 */
export const SLASH_COMMANDS = ['deploy', 'scale', 'rollback', 'upgrade', 'ops'] as const;
export type SlashCommand = (typeof SLASH_COMMANDS)[number];

/** The umbrella command. */
export const UMBRELLA: SlashCommand = 'ops';

/** Verbs /ops names in its description: the ones without a command of their own that people use most. */
export const OPS_HIGHLIGHTS = ['status', 'history', 'diagnose', 'jobs', 'cancel', 'lock', 'freeze', 'subscribe', 'help', 'whoami'] as const;
export const OPS_DESCRIPTION = `Any command: ${OPS_HIGHLIGHTS.join(', ')} …`;
export const OPS_USAGE_HINT = '<command> [arguments] (help lists them)';

/** Slack's limits for a slash command (manifest types in @slack/web-api; descriptions kept short for the picker). */
export const SLASH_LIMITS = { command: 32, description: 100, usageHint: 1000 } as const;

/** The button action ids the app listens to: a registered action, maybe with "-N" to keep ids of one message unique. */
export const ACTION_ID = /^[a-z][a-z0-9_]*(-\d+)?$/;

export function isSlashCommand(name: string): name is SlashCommand {
  return (SLASH_COMMANDS as readonly string[]).includes(name);
}

/**
 * The usage_hint of a verb's own command: the spec's `usage` with the verb removed wherever it
 * starts an alternative, because Slack shows the hint right after the command name.
 * `deploy <app> … to <env>` → `<app> … to <env>`; `lock <env> | lock <app> in <env>` → `<env> | <app> in <env>`.
 */
export function usageHint(spec: AnySpec): string {
  const verb = spec.verb.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return spec.usage.replace(new RegExp(`(^|\\| )${verb} `, 'g'), '$1').trim();
}

/**
 * The description of a verb's own command, from the spec's `summary`: as is when it fits in 100
 * chars; else without parenthetical remarks; else cut after the last clause (at ", ", ": " or
 * "; ") that keeps at least 60 chars, or failing that after the last word, with "…".
 */
export function slashDescription(spec: AnySpec): string {
  const max = SLASH_LIMITS.description;
  if (spec.summary.length <= max) return spec.summary;
  const plain = spec.summary.replace(/\s*\([^()]*\)/g, '');
  if (plain.length <= max) return plain;
  const room = plain.slice(0, max - 1);
  const clause = Math.max(room.lastIndexOf(', '), room.lastIndexOf(': '), room.lastIndexOf('; '));
  const cut = clause >= 60 ? clause : room.lastIndexOf(' ');
  return `${plain.slice(0, cut > 0 ? cut : max - 1).replace(/[\s,.:;]+$/, '')}…`;
}

/**
 * The command line the parser gets for a slash command: `/deploy` + `web v1.4.2 to prod` →
 * `deploy web v1.4.2 to prod`; `/ops` + `status web in prod` → `status web in prod`.
 */
export function commandLine(command: string, text: string): string {
  const name = command.replace(/^\//, '');
  const rest = text.trim();
  return name === UMBRELLA ? rest : `${name} ${rest}`.trim();
}
