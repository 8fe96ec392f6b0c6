import type { Button, Link, Message } from '../../core/message.ts';
import { progressBar } from '../progress-bar.ts';
import type { ActionsBlock, ButtonElement, ContextBlock, SectionBlock } from './blocks.ts';
import { uniqueActionIds } from './ids.ts';
import { LIMITS } from './limits.ts';
import { escapeMrkdwn, linkToken, mrkdwn, safeCut, truncate } from './mrkdwn.ts';

/**
 * The parts of a message the Slack renderer always shows: fields, progress, mentions, links,
 * buttons, the small print and the notification text. Each is kept small by its own cap, so
 * they never need the cutting that the text and sections get (pack.ts); what a cap leaves out
 * (a field's full value, links past the line) is handed back for the thread.
 */

/** Block ids of the message being rendered, by part name. */
export type BlockId = (name: string) => string;

const FALLBACK_MAX = 3000;
const FIELD_LABEL_MAX = 100;
/** All fields together; a message is a summary, the rest goes to the thread. */
const FIELDS_BUDGET = 4000;
const FIELDS_MAX = 20;
const PROGRESS_LABEL_MAX = 200;
const MENTIONS_MAX = 1000;
const LINKS_MAX = 2000;
const CONTEXT_ELEMENT_MAX = 200;
const CONTEXT_EXTRAS_MAX = 400;
const CONFIRM_TITLE = 'Are you sure?';
const CONFIRM_DENY = 'Cancel';

/** The notification fallback (top-level `text`): title and text, mrkdwn-escaped, ≤3000 chars. */
export function fallbackText(m: Message): string {
  const title = m.title.replace(/\s+/g, ' ').trim();
  const text = m.text === undefined || m.text.trim() === '' ? title : title === '' ? m.text : `${title} — ${m.text}`;
  return truncate(escapeMrkdwn(text.trim() === '' ? m.status.replace('_', ' ') : text), FALLBACK_MAX);
}

/** Fields ten to a section; a value over its share of the budget is cut here and shown in full in the thread. */
export function renderFields(m: Message, id: BlockId): { fieldBlocks: SectionBlock[]; fieldsInFull: string[] } {
  const fields = m.fields.slice(0, FIELDS_MAX);
  const full = fields.map((f) => ({ label: escapeMrkdwn(truncate(f.label, FIELD_LABEL_MAX)), value: escapeMrkdwn(f.value) }));
  const total = full.reduce((n, f) => n + f.label.length + f.value.length + 3, 0);
  const cap = total <= FIELDS_BUDGET ? LIMITS.fieldText : Math.max(200, Math.floor(FIELDS_BUDGET / Math.max(1, full.length)));
  const fieldsInFull: string[] = [];
  const texts = full.map((f) => {
    const head = `*${f.label}*\n`;
    const whole = head + (f.value === '' ? ' ' : f.value);
    if (whole.length <= cap) return whole;
    fieldsInFull.push(`*${f.label}:* ${f.value}`);
    const suffix = '… _(in full in the thread)_';
    return head + f.value.slice(0, safeCut(f.value, Math.max(0, cap - head.length - suffix.length))) + suffix;
  });
  for (const f of m.fields.slice(FIELDS_MAX)) fieldsInFull.push(`*${escapeMrkdwn(f.label)}:* ${escapeMrkdwn(f.value)}`);
  const fieldBlocks: SectionBlock[] = [];
  for (let i = 0; i < texts.length; i += LIMITS.sectionFields) {
    fieldBlocks.push({ type: 'section', block_id: id(`fields.${i / LIMITS.sectionFields}`), fields: texts.slice(i, i + LIMITS.sectionFields).map(mrkdwn) });
  }
  return { fieldBlocks, fieldsInFull };
}

export function progressLine(p: NonNullable<Message['progress']>): string {
  const label = p.label === undefined || p.label === '' ? '' : ` ${escapeMrkdwn(truncate(p.label, PROGRESS_LABEL_MAX))}`;
  return `${progressBar(p.done, p.total, { full: '▓', empty: '░' })} ${p.done}/${p.total}${label}`;
}

/** Real @mentions for people with a Slack id, names for the rest; "and N more" past the cap. */
export function mentionLine(people: readonly string[], slackIdOf: (person: string) => string | undefined): string {
  const tokens = people.map((p) => {
    const uid = slackIdOf(p);
    return uid !== undefined && /^[UW][A-Z0-9]{1,30}$/.test(uid) ? `<@${uid}>` : `@${escapeMrkdwn(p)}`;
  });
  let line = ':bell:';
  for (const [i, t] of tokens.entries()) {
    const more = tokens.length - i;
    if (line.length + 1 + t.length + ` and ${more} more`.length > MENTIONS_MAX) return `${line} and ${more} more`;
    line += ` ${t}`;
  }
  return line;
}

/** The links on one line; those past its cap go to the thread (`linksRest`). */
export function renderLinks(links: readonly Link[], id: BlockId): { linkBlocks: SectionBlock[]; linksRest: string[] } {
  let line = ':link:';
  let i = 0;
  for (; i < links.length; i++) {
    const link = links[i];
    if (link === undefined) break;
    const t = linkToken(link);
    if (line.length + 3 + t.length > LINKS_MAX - 40) break;
    line += i === 0 ? ` ${t}` : ` · ${t}`;
  }
  const linksRest = links.slice(i).map(linkToken);
  if (linksRest.length > 0) line += `${i === 0 ? ' ' : ' · '}_… ${linksRest.length} more in the thread_`;
  const linkBlocks: SectionBlock[] = links.length === 0 ? [] : [{ type: 'section', block_id: id('links'), text: mrkdwn(line) }];
  return { linkBlocks, linksRest };
}

export function renderButtons(buttons: readonly Button[], id: BlockId): ActionsBlock[] {
  const unique = uniqueActionIds();
  const elements: ButtonElement[] = buttons.map((b) => {
    const label = b.label.trim() === '' ? b.action : b.label;
    return {
      type: 'button',
      action_id: unique(b.action),
      text: { type: 'plain_text', text: truncate(label, LIMITS.buttonText), emoji: true },
      value: b.value.slice(0, LIMITS.buttonValue),
      ...(b.style === undefined ? {} : { style: b.style }),
      ...(b.confirm === undefined
        ? {}
        : {
            confirm: {
              title: { type: 'plain_text', text: CONFIRM_TITLE },
              text: { type: 'plain_text', text: truncate(b.confirm, LIMITS.confirmText) },
              confirm: { type: 'plain_text', text: truncate(`Yes, ${label.toLowerCase()}`, LIMITS.confirmButton) },
              deny: { type: 'plain_text', text: CONFIRM_DENY },
              ...(b.style === undefined ? {} : { style: b.style }),
            },
          }),
    };
  });
  const blocks: ActionsBlock[] = [];
  for (let i = 0; i < elements.length; i += LIMITS.actionsElements) {
    blocks.push({ type: 'actions', block_id: id(`actions.${i / LIMITS.actionsElements}`), elements: elements.slice(i, i + LIMITS.actionsElements) });
  }
  return blocks;
}

/** The small print as one context block; past Slack's ten elements, the rest share the last one. */
export function renderContext(context: readonly string[], id: BlockId): ContextBlock[] {
  const parts = context.filter((c) => c !== '').map((c) => escapeMrkdwn(c));
  if (parts.length === 0) return [];
  const max = LIMITS.contextElements;
  const head = parts.length <= max ? parts : parts.slice(0, max - 1);
  const elements = head.map((p) => truncate(p, CONTEXT_ELEMENT_MAX));
  if (parts.length > max) elements.push(truncate(parts.slice(max - 1).join(' · '), CONTEXT_EXTRAS_MAX));
  return [{ type: 'context', block_id: id('context'), elements: elements.map(mrkdwn) }];
}
