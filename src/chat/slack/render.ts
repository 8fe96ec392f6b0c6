import type { Message, MessageStatus } from '../../core/message.ts';
import { redactMessage } from '../../core/redact.ts';
import type { Block, ContextBlock, DividerBlock, HeaderBlock, SectionBlock } from './blocks.ts';
import { blockIds } from './ids.ts';
import { BLOCK_TEXT_BUDGET, LIMITS, blockTextLength } from './limits.ts';
import { codeLine, escapeMrkdwn, mrkdwn, truncate } from './mrkdwn.ts';
import { item, overflowChunks, pack, type Item, type Rest } from './pack.ts';
import { fallbackText, mentionLine, progressLine, renderButtons, renderContext, renderFields, renderLinks } from './render-parts.ts';

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

const HEADING_MAX = 200;
const BUTTONS_MAX = 2 * LIMITS.actionsElements;
/** Room kept for the "… N more lines in the thread" note. */
const NOTE_RESERVE = 60;

export function renderSlack(message: Message, opts: SlackRenderOptions): SlackRendered {
  // No credentials inside a URL (a link template's, a probe's) ever reach chat.
  const m = redactMessage(message);
  const id = blockIds(opts.blockIdSeed);
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
  const rest: Rest[] = [];
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
