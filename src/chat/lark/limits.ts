/**
 * Lark/Feishu card JSON 2.0 limits, and a checker for what the bot sends. Lark rejects a card
 * over 30 KB and, in JSON 2.0, any property it does not know ("传入不支持的属性将报错"), so
 * the renderer aims under a smaller budget and tests (and the fake Lark API) run
 * `larkCardProblems` on every card to catch a wrong shape before Lark would.
 *
 * The checker knows the components the bot uses in detail (markdown, hr, column_set, column,
 * button, div) and the rest of the 2.0 component list by tag only. Pure: no I/O.
 */

/** Lark's limit for one card's JSON. */
export const LARK_CARD_MAX_BYTES = 30 * 1024;
/** What the renderer aims under, leaving a margin below Lark's limit. */
export const LARK_CARD_BUDGET_BYTES = 28 * 1024;
/** Longest text reply the renderer produces for content that does not fit in the card. */
export const LARK_OVERFLOW_CHUNK_CHARS = 4000;
/** Longest button label Lark accepts. */
export const LARK_BUTTON_TEXT_MAX_CHARS = 100;

const encoder = new TextEncoder();

/** Size of the card as sent: UTF-8 bytes of its JSON. */
export function cardBytes(card: unknown): number {
  return encoder.encode(JSON.stringify(card)).length;
}

const TOP_KEYS = new Set(['schema', 'config', 'card_link', 'header', 'body']);
const CONFIG_KEYS = new Set(['streaming_mode', 'streaming_config', 'summary', 'locales', 'enable_forward', 'update_multi', 'width_mode', 'use_custom_translation', 'enable_forward_interaction', 'style']);
const HEADER_KEYS = new Set(['title', 'subtitle', 'text_tag_list', 'i18n_text_tag_list', 'template', 'icon', 'padding']);
const BODY_KEYS = new Set(['elements', 'direction', 'padding', 'horizontal_spacing', 'vertical_spacing', 'horizontal_align', 'vertical_align']);
const TEXT_KEYS = new Set(['tag', 'content', 'i18n_content', 'text_size', 'text_color', 'text_align', 'lines']);
const TEMPLATES = new Set(['blue', 'wathet', 'turquoise', 'green', 'yellow', 'orange', 'red', 'carmine', 'violet', 'purple', 'indigo', 'grey', 'default']);
const TAG_COLORS = new Set(['neutral', 'blue', 'turquoise', 'lime', 'orange', 'violet', 'indigo', 'wathet', 'green', 'yellow', 'red', 'purple', 'carmine']);
const BUTTON_TYPES = new Set(['default', 'primary', 'danger', 'text', 'primary_text', 'danger_text', 'primary_filled', 'danger_filled', 'laser']);

/** Properties of the components the bot emits, as documented for card JSON 2.0. */
const ELEMENT_KEYS: Readonly<Record<string, ReadonlySet<string>>> = {
  markdown: new Set(['tag', 'element_id', 'margin', 'content', 'i18n_content', 'text_size', 'text_align', 'icon']),
  hr: new Set(['tag', 'element_id', 'margin']),
  column_set: new Set(['tag', 'element_id', 'margin', 'columns', 'flex_mode', 'horizontal_spacing', 'horizontal_align', 'background_style', 'action']),
  column: new Set(['tag', 'element_id', 'margin', 'elements', 'width', 'weight', 'vertical_align', 'direction', 'horizontal_spacing', 'vertical_spacing', 'padding', 'background_style', 'action']),
  button: new Set(['tag', 'element_id', 'margin', 'text', 'type', 'size', 'width', 'icon', 'hover_tips', 'disabled', 'disabled_tips', 'confirm', 'behaviors', 'name', 'form_action_type']),
  div: new Set(['tag', 'element_id', 'margin', 'text', 'fields', 'icon', 'width']),
};
/** Other card JSON 2.0 components: known by tag, their properties are not checked. */
const OTHER_TAGS = new Set([
  'form',
  'collapsible_panel',
  'interactive_container',
  'img',
  'img_combination',
  'person',
  'person_list',
  'chart',
  'table',
  'input',
  'overflow',
  'select_static',
  'multi_select_static',
  'select_person',
  'multi_select_person',
  'date_picker',
  'picker_time',
  'picker_datetime',
  'select_img',
  'checker',
]);

type Obj = Readonly<Record<string, unknown>>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unknownKeys(o: Obj, allowed: ReadonlySet<string>, where: string, out: string[]): void {
  for (const k of Object.keys(o)) if (!allowed.has(k)) out.push(`${where}: unknown property "${k}" (card JSON 2.0 rejects unknown properties)`);
}

function textProblems(v: unknown, where: string, tags: readonly string[], out: string[]): void {
  if (!isObject(v)) {
    out.push(`${where}: must be a text object {tag, content}`);
    return;
  }
  if (typeof v['tag'] !== 'string' || !tags.includes(v['tag'])) out.push(`${where}.tag: must be ${tags.map((t) => `"${t}"`).join(' or ')}`);
  if (typeof v['content'] !== 'string') out.push(`${where}.content: must be a string`);
  unknownKeys(v, TEXT_KEYS, where, out);
}

function undefinedValues(v: unknown, where: string, out: string[]): void {
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      if (x === undefined) out.push(`${where}[${i}]: undefined`);
      else undefinedValues(x, `${where}[${i}]`, out);
    });
  } else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) out.push(`${where}.${k}: undefined (leave the property out instead)`);
      else undefinedValues(x, `${where}.${k}`, out);
    }
  }
}

function buttonProblems(b: Obj, where: string, out: string[]): void {
  textProblems(b['text'], `${where}.text`, ['plain_text', 'lark_md'], out);
  const text = isObject(b['text']) ? b['text']['content'] : undefined;
  if (typeof text === 'string' && text.length > LARK_BUTTON_TEXT_MAX_CHARS) out.push(`${where}.text: longer than ${LARK_BUTTON_TEXT_MAX_CHARS} characters`);
  if (b['type'] !== undefined && (typeof b['type'] !== 'string' || !BUTTON_TYPES.has(b['type']))) out.push(`${where}.type: unknown button type ${JSON.stringify(b['type'])}`);
  if ('value' in b || 'url' in b || 'multi_url' in b) out.push(`${where}: "value"/"url" on a button is card JSON 1.0; use behaviors`);
  const behaviors = b['behaviors'];
  if (b['form_action_type'] === undefined) {
    if (!Array.isArray(behaviors) || behaviors.length === 0) {
      out.push(`${where}: button without behaviors (a click would do nothing; expected [{type: "callback", value: {...}}])`);
    } else if (!behaviors.some((x) => isObject(x) && x['type'] === 'callback')) {
      out.push(`${where}: button without a callback behavior`);
    }
  }
  if (Array.isArray(behaviors)) {
    behaviors.forEach((x: unknown, i) => {
      const at = `${where}.behaviors[${i}]`;
      if (!isObject(x)) out.push(`${at}: must be an object`);
      else if (x['type'] === 'callback') {
        if (!isObject(x['value'])) out.push(`${at}.value: a callback value must be an object`);
        unknownKeys(x, new Set(['type', 'value']), at, out);
      } else if (x['type'] === 'open_url') {
        if (typeof x['default_url'] !== 'string') out.push(`${at}.default_url: must be a string`);
      } else out.push(`${at}.type: unknown behavior type ${JSON.stringify(x['type'])}`);
    });
  }
  const confirm = b['confirm'];
  if (confirm !== undefined) {
    if (!isObject(confirm)) out.push(`${where}.confirm: must be an object {title, text}`);
    else {
      textProblems(confirm['title'], `${where}.confirm.title`, ['plain_text'], out);
      if (confirm['text'] !== undefined) textProblems(confirm['text'], `${where}.confirm.text`, ['plain_text'], out);
      unknownKeys(confirm, new Set(['title', 'text']), `${where}.confirm`, out);
    }
  }
}

function elementsProblems(v: unknown, where: string, out: string[]): void {
  if (!Array.isArray(v)) {
    out.push(`${where}: must be an array of components`);
    return;
  }
  v.forEach((e: unknown, i) => elementProblems(e, `${where}[${i}]`, out));
}

function elementProblems(e: unknown, where: string, out: string[]): void {
  if (!isObject(e)) {
    out.push(`${where}: a component must be an object`);
    return;
  }
  const tag = e['tag'];
  if (typeof tag !== 'string') {
    out.push(`${where}: component without a tag`);
    return;
  }
  if (tag === 'action') {
    out.push(`${where}: the "action" module is card JSON 1.0; put buttons in elements or a column_set`);
    return;
  }
  if (tag === 'note') {
    out.push(`${where}: "note" is card JSON 1.0; use a markdown with text_size "notation"`);
    return;
  }
  const keys = ELEMENT_KEYS[tag];
  if (keys === undefined) {
    if (!OTHER_TAGS.has(tag)) out.push(`${where}: unknown component "${tag}"`);
    else if (Array.isArray(e['elements'])) elementsProblems(e['elements'], `${where}.elements`, out);
    return;
  }
  unknownKeys(e, keys, where, out);
  switch (tag) {
    case 'markdown':
      if (typeof e['content'] !== 'string') out.push(`${where}.content: must be a string`);
      break;
    case 'column_set': {
      const columns = e['columns'];
      if (!Array.isArray(columns)) out.push(`${where}.columns: must be an array`);
      else
        columns.forEach((c: unknown, i) => {
          if (!isObject(c) || c['tag'] !== 'column') out.push(`${where}.columns[${i}]: a column_set holds only columns`);
          else elementProblems(c, `${where}.columns[${i}]`, out);
        });
      break;
    }
    case 'column':
      if (e['elements'] !== undefined) {
        elementsProblems(e['elements'], `${where}.elements`, out);
        if (Array.isArray(e['elements'])) {
          e['elements'].forEach((x: unknown, i) => {
            if (isObject(x) && (x['tag'] === 'form' || x['tag'] === 'table')) out.push(`${where}.elements[${i}]: a column cannot hold a ${x['tag']}`);
          });
        }
      }
      break;
    case 'button':
      buttonProblems(e, where, out);
      break;
    case 'div':
      if (e['text'] !== undefined) textProblems(e['text'], `${where}.text`, ['plain_text', 'lark_md'], out);
      break;
    default:
      break;
  }
}

function headerProblems(h: unknown, out: string[]): void {
  if (!isObject(h)) {
    out.push('header: must be an object');
    return;
  }
  unknownKeys(h, HEADER_KEYS, 'header', out);
  textProblems(h['title'], 'header.title', ['plain_text', 'lark_md'], out);
  if (h['subtitle'] !== undefined) textProblems(h['subtitle'], 'header.subtitle', ['plain_text', 'lark_md'], out);
  if (h['template'] !== undefined && (typeof h['template'] !== 'string' || !TEMPLATES.has(h['template']))) out.push(`header.template: unknown colour ${JSON.stringify(h['template'])}`);
  const tags = h['text_tag_list'];
  if (tags !== undefined) {
    if (!Array.isArray(tags)) out.push('header.text_tag_list: must be an array');
    else {
      if (tags.length > 3) out.push('header.text_tag_list: at most 3 tags');
      tags.forEach((t: unknown, i) => {
        const at = `header.text_tag_list[${i}]`;
        if (!isObject(t) || t['tag'] !== 'text_tag') out.push(`${at}: must be {tag: "text_tag", text, color}`);
        else {
          unknownKeys(t, new Set(['tag', 'element_id', 'text', 'color']), at, out);
          textProblems(t['text'], `${at}.text`, ['plain_text'], out);
          if (typeof t['color'] !== 'string' || !TAG_COLORS.has(t['color'])) out.push(`${at}.color: unknown colour ${JSON.stringify(t['color'])}`);
        }
      });
    }
  }
}

/**
 * What is wrong with a card JSON 2.0 as Lark would see it, in words; empty when nothing is.
 * Checks: an object with schema "2.0", size within 30 KB, no unknown top-level, config,
 * header or body properties, `update_multi` not false, known components only (no 1.0 `action`
 * or `note`), no unknown properties on markdown/hr/column_set/column/button/div, column_sets
 * holding only columns, buttons with a callback behavior whose value is an object, confirm
 * dialogs with plain_text title and text, and no `undefined` values anywhere.
 */
export function larkCardProblems(card: unknown): string[] {
  if (!isObject(card)) return ['the card must be a JSON object'];
  const out: string[] = [];
  let json: string;
  try {
    json = JSON.stringify(card);
  } catch {
    return ['the card cannot be serialised to JSON'];
  }
  const bytes = encoder.encode(json).length;
  if (bytes > LARK_CARD_MAX_BYTES) out.push(`the card is ${bytes} bytes of JSON, over Lark's limit of ${LARK_CARD_MAX_BYTES}`);
  undefinedValues(card, 'card', out);
  unknownKeys(Object.fromEntries(Object.entries(card).filter(([k]) => k !== 'elements')), TOP_KEYS, 'card', out);
  if (card['schema'] !== '2.0') out.push(`schema: must be "2.0", got ${JSON.stringify(card['schema'])}`);
  const config = card['config'];
  if (config !== undefined) {
    if (!isObject(config)) out.push('config: must be an object');
    else {
      unknownKeys(config, CONFIG_KEYS, 'config', out);
      if (config['update_multi'] !== undefined && config['update_multi'] !== true) out.push('config.update_multi: card JSON 2.0 supports only true (shared cards)');
    }
  }
  if (card['header'] !== undefined) headerProblems(card['header'], out);
  const body = card['body'];
  if (!isObject(body)) out.push('body: missing (card JSON 2.0 puts elements under body)');
  else {
    unknownKeys(body, BODY_KEYS, 'body', out);
    elementsProblems(body['elements'], 'body.elements', out);
  }
  if ('elements' in card) out.push('card.elements: top-level elements are card JSON 1.0; use body.elements');
  return out;
}
