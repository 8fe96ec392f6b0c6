import type { Block, ButtonElement, TextObject } from './blocks.ts';

/**
 * Slack's Block Kit limits for the parts we emit, and a checker that lists every violation.
 * The renderer is built to stay inside them; the tests (and a fake Slack API) use the checker
 * to prove it. Numbers from the Block Kit reference and @slack/types; the whole-message text
 * limit is undocumented (msg_blocks_too_long at about 12k characters, bolt-js #2509).
 */
export const LIMITS = {
  blocks: 50,
  blockId: 255,
  actionId: 255,
  headerText: 150,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  contextElements: 10,
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
} as const;

/** Where Slack starts answering msg_blocks_too_long (total text of all blocks, roughly). */
export const SLACK_BLOCK_TEXT_LIMIT = 12_000;
/** What the renderer aims for: the Slack limit with a margin for block containers. */
export const BLOCK_TEXT_BUDGET = 10_000;

function texts(b: Block): TextObject[] {
  switch (b.type) {
    case 'header':
      return [b.text];
    case 'section':
      return [...(b.text === undefined ? [] : [b.text]), ...(b.fields ?? [])];
    case 'context':
      return [...b.elements];
    case 'actions':
      return b.elements.flatMap((e) => [e.text, ...(e.confirm === undefined ? [] : [e.confirm.title, e.confirm.text, e.confirm.confirm, e.confirm.deny])]);
    case 'divider':
      return [];
    default:
      return [];
  }
}

/** The total length of every text object in the blocks: what Slack's message budget counts. */
export function blockTextLength(blocks: readonly Block[]): number {
  let n = 0;
  for (const b of blocks) for (const t of texts(b)) n += t.text.length;
  return n;
}

function checkButton(where: string, e: ButtonElement, out: string[]): void {
  if (typeof e.action_id !== 'string' || e.action_id === '') out.push(`${where}: action_id is missing`);
  else if (e.action_id.length > LIMITS.actionId) out.push(`${where}: action_id is ${e.action_id.length} chars (max ${LIMITS.actionId})`);
  const text = e.text?.text ?? '';
  if (e.text?.type !== 'plain_text') out.push(`${where}: text must be plain_text`);
  if (text === '') out.push(`${where}: text is empty`);
  if (text.length > LIMITS.buttonText) out.push(`${where}: text is ${text.length} chars (max ${LIMITS.buttonText})`);
  if (typeof e.value === 'string' && e.value.length > LIMITS.buttonValue) out.push(`${where}: value is ${e.value.length} chars (max ${LIMITS.buttonValue})`);
  if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger') out.push(`${where}: style must be primary or danger`);
  const c = e.confirm;
  if (c !== undefined) {
    const parts: [string, TextObject | undefined, number][] = [
      ['title', c.title, LIMITS.confirmTitle],
      ['text', c.text, LIMITS.confirmText],
      ['confirm', c.confirm, LIMITS.confirmButton],
      ['deny', c.deny, LIMITS.confirmButton],
    ];
    for (const [name, t, max] of parts) {
      const s = t?.text ?? '';
      if (s === '') out.push(`${where}: confirm.${name} is empty`);
      if (s.length > max) out.push(`${where}: confirm.${name} is ${s.length} chars (max ${max})`);
    }
  }
}

/**
 * Every Block Kit limit these blocks break, as sentences; empty when Slack would take them.
 * `textBudget` is the whole-message text limit to apply (Slack's ~12k unless told otherwise).
 */
export function checkBlockKitLimits(blocks: readonly Block[], opts: { textBudget?: number } = {}): string[] {
  const out: string[] = [];
  if (blocks.length > LIMITS.blocks) out.push(`${blocks.length} blocks (max ${LIMITS.blocks})`);
  const blockIds = new Set<string>();
  blocks.forEach((b, i) => {
    const where = `block ${i} (${String(b.type)})`;
    if (typeof b.block_id === 'string') {
      if (b.block_id === '') out.push(`${where}: block_id is empty`);
      if (b.block_id.length > LIMITS.blockId) out.push(`${where}: block_id is ${b.block_id.length} chars (max ${LIMITS.blockId})`);
      if (blockIds.has(b.block_id)) out.push(`${where}: block_id "${b.block_id}" is not unique`);
      blockIds.add(b.block_id);
    }
    switch (b.type) {
      case 'header': {
        const s = b.text?.text ?? '';
        if (b.text?.type !== 'plain_text') out.push(`${where}: text must be plain_text`);
        if (s === '') out.push(`${where}: text is empty`);
        if (s.length > LIMITS.headerText) out.push(`${where}: text is ${s.length} chars (max ${LIMITS.headerText})`);
        break;
      }
      case 'section': {
        if (b.text === undefined && (b.fields === undefined || b.fields.length === 0)) out.push(`${where}: needs text or fields`);
        if (b.text !== undefined) {
          if (b.text.text === '') out.push(`${where}: text is empty`);
          if (b.text.text.length > LIMITS.sectionText) out.push(`${where}: text is ${b.text.text.length} chars (max ${LIMITS.sectionText})`);
        }
        const fields = b.fields ?? [];
        if (fields.length > LIMITS.sectionFields) out.push(`${where}: ${fields.length} fields (max ${LIMITS.sectionFields})`);
        fields.forEach((f, j) => {
          if (f.text === '') out.push(`${where}: field ${j} is empty`);
          if (f.text.length > LIMITS.fieldText) out.push(`${where}: field ${j} is ${f.text.length} chars (max ${LIMITS.fieldText})`);
        });
        break;
      }
      case 'context': {
        if (b.elements.length === 0) out.push(`${where}: no elements`);
        if (b.elements.length > LIMITS.contextElements) out.push(`${where}: ${b.elements.length} elements (max ${LIMITS.contextElements})`);
        b.elements.forEach((e, j) => {
          if (e.text === '') out.push(`${where}: element ${j} is empty`);
          if (e.text.length > LIMITS.contextText) out.push(`${where}: element ${j} is ${e.text.length} chars (max ${LIMITS.contextText})`);
        });
        break;
      }
      case 'actions': {
        if (b.elements.length === 0) out.push(`${where}: no elements`);
        if (b.elements.length > LIMITS.actionsElements) out.push(`${where}: ${b.elements.length} elements (max ${LIMITS.actionsElements})`);
        const actionIds = new Set<string>();
        b.elements.forEach((e, j) => {
          checkButton(`${where} button ${j}`, e, out);
          if (actionIds.has(e.action_id)) out.push(`${where} button ${j}: action_id "${e.action_id}" is not unique in its block`);
          actionIds.add(e.action_id);
        });
        break;
      }
      case 'divider':
        break;
      default:
        out.push(`${where}: a block type the renderer does not emit`);
    }
  });
  const budget = opts.textBudget ?? SLACK_BLOCK_TEXT_LIMIT;
  const total = blockTextLength(blocks);
  if (total > budget) out.push(`${total} chars of block text (budget ${budget})`);
  return out;
}
