import type { Button, Link, Message, MessageStatus } from '../../core/message.ts';
import { redactMessage } from '../../core/redact.ts';
import type { ActionsBlock, Block, ButtonElement, ContextBlock, DividerBlock, HeaderBlock, Mrkdwn, SectionBlock } from './blocks.ts';
import { BLOCK_TEXT_BUDGET, LIMITS, blockTextLength } from './limits.ts';

/**
 * The neutral message as Slack Block Kit, pure and deterministic (golden-file tested).
 *
 * Layout: header (status emoji + title), the text, the fields, a progress bar, the sections
 * (bold heading, lines in a code block), who is notified, links, the buttons and the small print.
 *
 * Everything stays inside Slack's limits (see limits.ts), including the undocumented ~12k
 * characters of block text per message: long content (a plan of 1,000 workloads, the help) is
 * cut at a line boundary with "… N more lines in the thread" and the rest is returned in
 * `overflow`, in order and complete, as mrkdwn chunks of ≤3000 chars for thread replies.
 *
 * User-supplied text is escaped for mrkdwn (& < > → &amp; &lt; &gt;), so a reason such as
 * `<!channel>` pings nobody; the only `<…>` the output contains are the links and mentions
 * built here.
 */
export interface SlackRenderOptions {
  /** A config person's Slack user id (U… / W…), for a real @mention; undefined = show the name. */
  readonly slackIdOf: (person: string) => string | undefined;
  /** Unique per message and per update of it (e.g. `${key}-${revision}`): Slack wants new block_ids on update. */
  readonly blockIdSeed: string;
}

export interface SlackRendered {
  /** The notification fallback (top-level `text`): title and text, mrkdwn-escaped, ≤3000 chars. */
  readonly text: string;
  readonly blocks: Block[];
  /** What did not fit, as mrkdwn chunks of ≤3000 chars, in order: post them as thread replies. */
  readonly overflow: string[];
}

const EMOJI: Readonly<Record<MessageStatus, string>> = {
  info: ':information_source:',
  pending: ':hourglass_flowing_sand:',
  needs_approval: ':raised_hand:',
  running: ':arrow_forward:',
  paused: ':double_vertical_bar:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  denied: ':no_entry:',
  error: ':warning:',
};

const FALLBACK_MAX = 3000;
/** An escaped line longer than this is split into pieces, so any piece fits in a section with its heading and fences. */
const PIECE_MAX = 2500;
const HEADING_MAX = 200;
const FIELD_LABEL_MAX = 100;
/** All fields together; a message is a summary, the rest goes to the thread. */
const FIELDS_BUDGET = 4000;
const FIELDS_MAX = 20;
const PROGRESS_LABEL_MAX = 200;
const MENTIONS_MAX = 1000;
const LINK_LABEL_MAX = 100;
const LINKS_MAX = 2000;
const CONTEXT_ELEMENT_MAX = 200;
const CONTEXT_EXTRAS_MAX = 400;
const BUTTONS_MAX = 2 * LIMITS.actionsElements;
const CONFIRM_TITLE = 'Are you sure?';
const CONFIRM_DENY = 'Cancel';
/** Room kept for the "… N more lines in the thread" note. */
const NOTE_RESERVE = 60;
const BAR_CELLS = 20;
const ACTION_SUFFIX = /-\d+$/;

// ---- text helpers -------------------------------------------------------------------------

/** Slack's escaping for mrkdwn: only these three characters. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The largest index ≤ n where `s` can be cut without splitting a surrogate pair or an entity. */
function safeCut(s: string, n: number): number {
  if (n >= s.length) return s.length;
  let i = Math.max(0, n);
  const before = s.charCodeAt(i - 1);
  if (i > 0 && before >= 0xd800 && before <= 0xdbff) i--;
  const amp = s.lastIndexOf('&', i - 1);
  if (amp >= 0 && amp > i - 5) {
    const m = /^&(?:amp|lt|gt);/.exec(s.slice(amp, amp + 5));
    if (m !== null && amp + m[0].length > i) i = amp;
  }
  return i;
}

/** `s` if it fits in `max`, else cut safely with an ellipsis (the result is ≤ max). */
function truncate(s: string, max: number, ellipsis = '…'): string {
  if (s.length <= max) return s;
  return s.slice(0, safeCut(s, max - ellipsis.length)) + ellipsis;
}

/** Splits an escaped line into pieces of ≤ max chars, at safe points. */
function pieces(s: string, max: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (rest.length > max) {
    const cut = Math.max(1, safeCut(rest, max));
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  out.push(rest);
  return out;
}

/** A line inside a ``` block: escaped, and no run of three backticks that would end the block. */
function codeLine(s: string): string {
  return escapeMrkdwn(s).replace(/`{3,}/g, (run) => run.split('').join('\u200b'));
}

function linkToken(l: Link): string {
  const label = escapeMrkdwn(truncate(l.label.trim() === '' ? l.url : l.label, LINK_LABEL_MAX)).replace(/\|/g, '∣');
  if (!/^(https?:\/\/|mailto:)\S+$/i.test(l.url)) return `${label}: ${escapeMrkdwn(l.url)}`;
  const url = l.url.replace(/[|<>\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return `<${url}|${label}>`;
}

/** FNV-1a, for shortening an over-long block id seed deterministically. */
function hash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * What a button's action_id stands for: the action without the "-2", "-3"… suffix that keeps
 * repeated actions unique in a message (the same rule as clickActionOf in src/chat/inbound.ts).
 */
export function actionOf(actionId: string): string {
  return actionId.replace(ACTION_SUFFIX, '');
}

// ---- elastic content ----------------------------------------------------------------------

interface Unit {
  readonly text: string;
  /** The original line it comes from (a long line becomes several units). */
  readonly line: number;
}

/** Content that may be cut: the text, the sections, and what only goes to the thread. */
interface Item {
  readonly kind: 'prose' | 'code';
  /** Rendered mrkdwn, e.g. "*Workloads*". */
  readonly heading: string | undefined;
  readonly units: readonly Unit[];
  readonly lines: number;
  /** false: goes to the thread only (the full value of a truncated field, links that did not fit). */
  readonly showable: boolean;
  readonly name: string;
}

function item(kind: Item['kind'], name: string, heading: string | undefined, lines: readonly string[], showable = true): Item {
  const units = lines.flatMap((text, line) => pieces(text, PIECE_MAX).map((p) => ({ text: p, line })));
  return { kind, heading, units, lines: lines.length, showable, name };
}

function framedLength(kind: Item['kind'], heading: string | undefined, sum: number, count: number): number {
  const head = heading === undefined ? 0 : heading.length + (count > 0 ? 1 : 0);
  if (count === 0) return head;
  return head + sum + (count - 1) + (kind === 'code' ? 8 : 0);
}

function frame(kind: Item['kind'], heading: string | undefined, units: readonly Unit[]): string {
  const head = heading === undefined ? [] : [heading];
  if (units.length === 0) return head.join('\n');
  const body = units.map((u) => u.text);
  return (kind === 'code' ? [...head, '```', ...body, '```'] : [...head, ...body]).join('\n');
}

/** Packs units into framed texts of ≤ max chars each (the first with the heading), spending from a budget. */
function pack(
  it: Item,
  from: number,
  heading: string | undefined,
  max: number,
  budget: { chars: number; blocks: number },
): { texts: string[]; next: number } {
  const texts: string[] = [];
  let i = from;
  let head = heading;
  if (it.units.length === 0) {
    if (head !== undefined && head.length <= Math.min(max, budget.chars) && budget.blocks > 0) {
      texts.push(head);
      budget.chars -= head.length;
      budget.blocks--;
    }
    return { texts, next: 0 };
  }
  while (i < it.units.length && budget.blocks > 0) {
    let count = 0;
    let sum = 0;
    let len = 0;
    for (;;) {
      const u = it.units[i + count];
      if (u === undefined) break;
      const l = framedLength(it.kind, head, sum + u.text.length, count + 1);
      if (l > max || l > budget.chars) break;
      count++;
      sum += u.text.length;
      len = l;
    }
    if (count === 0) break;
    texts.push(frame(it.kind, head, it.units.slice(i, i + count)));
    budget.chars -= len;
    budget.blocks--;
    i += count;
    head = undefined;
  }
  return { texts, next: i };
}

// ---- the renderer -------------------------------------------------------------------------

export function renderSlack(message: Message, opts: SlackRenderOptions): SlackRendered {
  // No credentials inside a URL (a link template's, a probe's) ever reach chat.
  const m = redactMessage(message);
  const seed = opts.blockIdSeed === '' ? 'msg' : opts.blockIdSeed.length > 200 ? `${opts.blockIdSeed.slice(0, 180)}~${hash(opts.blockIdSeed)}` : opts.blockIdSeed;
  const id = (name: string): string => `${seed}.${name}`;
  const section = (name: string, text: string): SectionBlock => ({ type: 'section', block_id: id(name), text: mrkdwn(text) });

  // Fixed parts: small by construction, always shown.
  const header: HeaderBlock = {
    type: 'header',
    block_id: id('header'),
    text: { type: 'plain_text', text: truncate(`${EMOJI[m.status]} ${m.title.replace(/\s+/g, ' ')}`.trim(), LIMITS.headerText), emoji: true },
  };

  const { fieldBlocks, fieldsInFull } = renderFields(m, id);
  const progress = m.progress === undefined ? [] : [section('progress', progressLine(m.progress))];
  const mentions = m.mentions === undefined || m.mentions.length === 0 ? [] : [section('mentions', mentionLine(m.mentions, opts.slackIdOf))];
  const { linkBlocks, linksRest } = renderLinks(m.links, id);
  const actions = renderButtons(m.buttons.slice(0, BUTTONS_MAX), id);
  const divider: DividerBlock[] = actions.length > 0 ? [{ type: 'divider', block_id: id('divider') }] : [];
  const context = renderContext(m.context, id);

  const fixed: Block[] = [header, ...fieldBlocks, ...progress, ...mentions, ...linkBlocks, ...divider, ...actions, ...context];

  // Elastic parts, in message order.
  const textItem = m.text === undefined || m.text === '' ? [] : [item('prose', 'text', undefined, m.text.split('\n').map(escapeMrkdwn))];
  const fieldsItem = fieldsInFull.length > 0 ? [item('prose', 'fields', '*Fields in full*', fieldsInFull, false)] : [];
  const sectionItems = (m.sections ?? []).map((s, i) =>
    item('code', `s${i}`, s.heading === undefined || s.heading === '' ? undefined : `*${truncate(escapeMrkdwn(s.heading), HEADING_MAX)}*`, s.lines.map(codeLine)),
  );
  const linksItem = linksRest.length > 0 ? [item('prose', 'links', '*More links*', linksRest, false)] : [];
  const items = [...textItem, ...fieldsItem, ...sectionItems, ...linksItem];

  const budget = {
    chars: BLOCK_TEXT_BUDGET - blockTextLength(fixed) - NOTE_RESERVE,
    blocks: LIMITS.blocks - fixed.length - 1,
  };
  const shown = new Map<string, SectionBlock[]>();
  const rest: { it: Item; from: number; continued: boolean }[] = [];
  let cutAt: string | undefined;
  let moreLines = 0;
  for (const it of items) {
    if (cutAt !== undefined || !it.showable) {
      rest.push({ it, from: 0, continued: false });
      if (cutAt !== undefined && it.showable) moreLines += it.lines;
      continue;
    }
    const { texts, next } = pack(it, 0, it.heading, LIMITS.sectionText, budget);
    shown.set(it.name, texts.map((t, j) => section(`${it.name}.${j}`, t)));
    const headingLost = it.units.length === 0 && it.heading !== undefined && texts.length === 0;
    if (next < it.units.length || headingLost) {
      cutAt = it.name;
      const firstMissing = it.units[next]?.line ?? it.lines;
      moreLines += it.lines - firstMissing;
      rest.push({ it, from: next, continued: texts.length > 0 });
    }
  }

  const note: ContextBlock[] =
    cutAt === undefined
      ? []
      : [{ type: 'context', block_id: id('more'), elements: [mrkdwn(moreLines > 0 ? `_… ${moreLines} more line${moreLines === 1 ? '' : 's'} in the thread_` : '_… the rest is in the thread_')] }];
  const blocksOf = (its: readonly Item[]): Block[] => its.flatMap((it) => [...(shown.get(it.name) ?? []), ...(it.name === cutAt ? note : [])]);

  const blocks: Block[] = [
    header,
    ...blocksOf(textItem),
    ...fieldBlocks,
    ...progress,
    ...blocksOf(sectionItems),
    ...mentions,
    ...linkBlocks,
    ...divider,
    ...actions,
    ...context,
  ];

  return { text: fallbackText(m), blocks, overflow: overflowChunks(rest) };
}

function mrkdwn(text: string): Mrkdwn {
  return { type: 'mrkdwn', text };
}

function fallbackText(m: Message): string {
  const title = m.title.replace(/\s+/g, ' ').trim();
  const text = m.text === undefined || m.text.trim() === '' ? title : title === '' ? m.text : `${title} — ${m.text}`;
  return truncate(escapeMrkdwn(text.trim() === '' ? m.status.replace('_', ' ') : text), FALLBACK_MAX);
}

function renderFields(m: Message, id: (name: string) => string): { fieldBlocks: SectionBlock[]; fieldsInFull: string[] } {
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

function progressLine(p: NonNullable<Message['progress']>): string {
  const done = Math.max(0, Math.min(p.done, p.total));
  const filled = p.total > 0 ? Math.round((done / p.total) * BAR_CELLS) : 0;
  const label = p.label === undefined || p.label === '' ? '' : ` ${escapeMrkdwn(truncate(p.label, PROGRESS_LABEL_MAX))}`;
  return `${'▓'.repeat(filled)}${'░'.repeat(BAR_CELLS - filled)} ${p.done}/${p.total}${label}`;
}

function mentionLine(people: readonly string[], slackIdOf: (person: string) => string | undefined): string {
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

function renderLinks(links: readonly Link[], id: (name: string) => string): { linkBlocks: SectionBlock[]; linksRest: string[] } {
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

function renderButtons(buttons: readonly Button[], id: (name: string) => string): ActionsBlock[] {
  const used = new Set<string>();
  const unique = (action: string): string => {
    const base = (action === '' ? 'action' : action).slice(0, LIMITS.actionId - 8);
    if (!used.has(base)) {
      used.add(base);
      return base;
    }
    for (let n = 2; ; n++) {
      const candidate = `${base}-${n}`;
      if (!used.has(candidate)) {
        used.add(candidate);
        return candidate;
      }
    }
  };
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

function renderContext(context: readonly string[], id: (name: string) => string): ContextBlock[] {
  const parts = context.filter((c) => c !== '').map((c) => escapeMrkdwn(c));
  if (parts.length === 0) return [];
  const max = LIMITS.contextElements;
  const head = parts.length <= max ? parts : parts.slice(0, max - 1);
  const elements = head.map((p) => truncate(p, CONTEXT_ELEMENT_MAX));
  if (parts.length > max) elements.push(truncate(parts.slice(max - 1).join(' · '), CONTEXT_EXTRAS_MAX));
  return [{ type: 'context', block_id: id('context'), elements: elements.map(mrkdwn) }];
}

/** The rest of each cut or thread-only item, packed into chunks of ≤3000 chars, in order. */
function overflowChunks(rest: readonly { it: Item; from: number; continued: boolean }[]): string[] {
  const frames: string[] = [];
  for (const { it, from, continued } of rest) {
    if (from >= it.units.length && (it.units.length > 0 || it.heading === undefined)) continue;
    const heading = it.heading === undefined ? undefined : continued ? `${it.heading} _(continued)_` : it.heading;
    const { texts } = pack(it, from, heading, LIMITS.sectionText, { chars: Number.POSITIVE_INFINITY, blocks: Number.POSITIVE_INFINITY });
    frames.push(...texts);
  }
  const chunks: string[] = [];
  for (const f of frames) {
    const last = chunks.at(-1);
    if (last !== undefined && last.length + 1 + f.length <= LIMITS.sectionText) chunks[chunks.length - 1] = `${last}\n${f}`;
    else chunks.push(f);
  }
  return chunks;
}
