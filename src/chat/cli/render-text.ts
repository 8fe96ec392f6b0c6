import type { Message, MessageStatus } from '../../core/message.ts';
import { redactMessage } from '../../core/redact.ts';
import { progressBar } from '../progress-bar.ts';

/** Plain-text rendering of a neutral message, for the CLI and logs. Pure. */
const MARK: Readonly<Record<MessageStatus, string>> = {
  info: 'ℹ',
  pending: '…',
  needs_approval: '⏳',
  running: '▶',
  paused: '⏸',
  succeeded: '✔',
  failed: '✖',
  denied: '⛔',
  error: '✖',
};

export function renderText(message: Message): string {
  const m = redactMessage(message);
  const out: string[] = [`${MARK[m.status]} ${m.title}`];
  if (m.text !== undefined) out.push(m.text);
  const width = Math.max(0, ...m.fields.map((f) => f.label.length));
  for (const f of m.fields) out.push(`  ${(f.label + ':').padEnd(width + 1)} ${f.value}`);
  if (m.progress !== undefined) {
    const { done, total } = m.progress;
    out.push(`  [${progressBar(done, total, { full: '#', empty: '.' })}] ${done}/${total}${m.progress.label === undefined ? '' : ` ${m.progress.label}`}`);
  }
  for (const s of m.sections ?? []) {
    if (s.heading !== undefined) out.push(`${s.heading}:`);
    for (const l of s.lines) out.push(`  ${l}`);
  }
  if (m.mentions !== undefined && m.mentions.length > 0) out.push(`Notifying: ${m.mentions.map((p) => `@${p}`).join(' ')}`);
  if (m.buttons.length > 0) out.push(`Actions: ${m.buttons.map((b) => `[${b.label}] (${b.action} ${b.value})`).join('  ')}`);
  for (const l of m.links) out.push(`${l.label}: ${l.url}`);
  for (const c of m.context) out.push(`  · ${c}`);
  return out.join('\n');
}
