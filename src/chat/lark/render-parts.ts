import type { Button, Field, Link, Message } from '../../core/message.ts';
import { progressBar } from '../progress-bar.ts';
import { truncate } from '../text-cut.ts';
import type { LarkButton, LarkColumnSet, LarkElement, LarkMarkdown } from './card.ts';
import { LARK_BUTTON_TEXT_MAX_CHARS } from './limits.ts';
import { escapeLarkMarkdown, grey, inline, md } from './markdown.ts';

/**
 * The card elements around the sections: the fields and progress bar above them; links,
 * mentions, buttons and the small print below. Unlike the sections (sections.ts) these are
 * never cut to make a card fit; a message too big even without its section lines goes out as
 * text replies instead.
 */

/** A config person's Lark open_id (ou_…), for an at-mention; undefined: the plain name. */
export type OpenIdOf = (person: string) => string | undefined;

/** A field shares its row with the next one when both are at most this long. */
const SHORT_FIELD_CHARS = 40;

function fieldMd(f: Field): LarkMarkdown {
  return md(`**${inline(f.label)}**\n${inline(f.value)}`);
}

function isShort(f: Field): boolean {
  return f.value.length <= SHORT_FIELD_CHARS && f.label.length <= SHORT_FIELD_CHARS && !/[\r\n]/.test(f.value);
}

/** Short fields two to a row (a column_set of two equal columns), long ones on a row of their own. */
export function fieldElements(fields: readonly Field[]): LarkElement[] {
  const out: LarkElement[] = [];
  for (let i = 0; i < fields.length; ) {
    const a = fields[i];
    const b = fields[i + 1];
    if (a === undefined) break;
    if (b !== undefined && isShort(a) && isShort(b)) {
      const row: LarkColumnSet = {
        tag: 'column_set',
        flex_mode: 'none',
        columns: [
          { tag: 'column', width: 'weighted', weight: 1, elements: [fieldMd(a)] },
          { tag: 'column', width: 'weighted', weight: 1, elements: [fieldMd(b)] },
        ],
      };
      out.push(row);
      i += 2;
    } else {
      out.push(fieldMd(a));
      i += 1;
    }
  }
  return out;
}

export function progressElement(p: NonNullable<Message['progress']>): LarkMarkdown {
  const label = p.label === undefined || p.label === '' ? '' : ` ${inline(p.label)}`;
  return md(`**Progress** ${progressBar(p.done, p.total, { full: '█', empty: '░' })} ${p.done}/${p.total}${label}`);
}

const SAFE_URL = /^https?:\/\/[^\s<>"'`]+$/i;

function linkMd(l: Link): string {
  if (!SAFE_URL.test(l.url)) return `${inline(l.label)}${escapeLarkMarkdown(': ')}${inline(l.url)}`;
  const url = l.url.replaceAll('(', '%28').replaceAll(')', '%29');
  return `[${inline(l.label)}](${url})`;
}

/** An open_id we are willing to put in `<at id=…>`: never `all`, nothing that could close the tag. */
const OPEN_ID = /^[A-Za-z0-9_-]{1,128}$/;

function mentionMd(person: string, openIdOf: OpenIdOf): string {
  const id = openIdOf(person);
  if (id !== undefined && OPEN_ID.test(id) && id.toLowerCase() !== 'all') return `<at id=${id}></at>`;
  return inline(`@${person}`);
}

function buttonOf(b: Button): LarkButton {
  const label = truncate(b.label, LARK_BUTTON_TEXT_MAX_CHARS);
  const base: LarkButton = {
    tag: 'button',
    text: { tag: 'plain_text', content: label },
    type: b.style ?? 'default',
    behaviors: [{ type: 'callback', value: { action: b.action, value: b.value } }],
  };
  if (b.confirm === undefined) return base;
  return { ...base, confirm: { title: { tag: 'plain_text', content: label }, text: { tag: 'plain_text', content: b.confirm } } };
}

export function buttonRow(buttons: readonly Button[]): LarkColumnSet {
  return { tag: 'column_set', flex_mode: 'none', columns: buttons.map((b) => ({ tag: 'column', width: 'auto', elements: [buttonOf(b)] })) };
}

/** Links, mentions, buttons and context: the part after the sections. */
export function tailElements(m: Message, openIdOf: OpenIdOf): LarkElement[] {
  const out: LarkElement[] = [];
  if (m.links.length > 0) out.push(md(m.links.map(linkMd).join(' · ')));
  out.push(...mentionElements(m, openIdOf));
  if (m.buttons.length > 0) out.push(buttonRow(m.buttons));
  if (m.context.length > 0) {
    out.push({ tag: 'hr' });
    out.push(md(grey(m.context.map(inline).join(' · ')), true));
  }
  return out;
}

export function mentionElements(m: Message, openIdOf: OpenIdOf): LarkElement[] {
  const people = m.mentions ?? [];
  return people.length > 0 ? [md(`Notifying: ${people.map((p) => mentionMd(p, openIdOf)).join(' ')}`)] : [];
}
