import type { Message } from '../../core/message.ts';
import type { LarkElement, LarkMarkdown } from './card.ts';
import { grey, inline, md } from './markdown.ts';

/**
 * The sections of a message (bold heading, then lines), the part of a Lark card that is cut
 * when the card would be too big: the first `keep` lines over all sections go in the card with
 * a "… N more lines below" note, and sectionRest gives exactly the lines left out, for the
 * replies. plainBody is the whole message as text, for a message too big for any card.
 */

type Section = NonNullable<Message['sections']>[number];

function sectionMd(heading: string | undefined, lines: readonly string[], more: number): LarkMarkdown | undefined {
  const parts: string[] = [];
  if (heading !== undefined && heading !== '') parts.push(`**${inline(heading)}**`);
  for (const l of lines) parts.push(inline(l));
  if (more > 0) parts.push(grey(`… ${more} more line${more === 1 ? '' : 's'} below`));
  return parts.length > 0 ? md(parts.join('\n')) : undefined;
}

export function lineCount(sections: readonly Section[]): number {
  return sections.reduce((n, s) => n + s.lines.length, 0);
}

/** The sections with only the first `keep` lines (over all sections, in order), and the note where cut. */
export function sectionElements(sections: readonly Section[], keep: number): LarkElement[] {
  const total = lineCount(sections);
  const out: LarkElement[] = [];
  let start = 0;
  for (const s of sections) {
    if (start + s.lines.length <= keep) {
      const e = sectionMd(s.heading, s.lines, 0);
      if (e !== undefined) out.push(e);
      start += s.lines.length;
      continue;
    }
    const e = sectionMd(s.heading, s.lines.slice(0, keep - start), total - keep);
    if (e !== undefined) out.push(e);
    break;
  }
  return out;
}

/**
 * The section lines after the first `keep`, as plain text, with headings for context: exactly
 * what `sectionElements(sections, keep)` left out.
 */
export function sectionRest(sections: readonly Section[], keep: number): string[] {
  const out: string[] = [];
  let start = 0;
  for (const s of sections) {
    const end = start + s.lines.length;
    if (end > keep) {
      const from = Math.max(0, keep - start);
      if (s.heading !== undefined && s.heading !== '') out.push(from > 0 ? `${s.heading} (continued):` : `${s.heading}:`);
      out.push(...s.lines.slice(from));
    }
    start = end;
  }
  return out;
}

/** Everything but the title, buttons and mentions as plain text, for the too-big-for-a-card case. */
export function plainBody(m: Message): string[] {
  const out: string[] = [];
  if (m.text !== undefined && m.text !== '') out.push(...m.text.split(/\r?\n/));
  for (const f of m.fields) out.push(`${f.label}: ${f.value}`);
  if (m.progress !== undefined) out.push(`Progress: ${m.progress.done}/${m.progress.total}${m.progress.label === undefined ? '' : ` ${m.progress.label}`}`);
  for (const s of m.sections ?? []) {
    if (s.heading !== undefined && s.heading !== '') out.push(`${s.heading}:`);
    out.push(...s.lines);
  }
  for (const l of m.links) out.push(`${l.label}: ${l.url}`);
  out.push(...m.context);
  return out;
}
