import type { Link } from '../../core/message.ts';
import { codePointCut, pieces as piecesAt, truncate as truncateAt } from '../text-cut.ts';
import type { Mrkdwn } from './blocks.ts';

/**
 * Text as Slack's mrkdwn wants it: escaped, and cut only where a cut leaves it valid. Escaping
 * turns `&` into `&amp;`, so a cut must keep such an entity whole as well as an emoji's
 * surrogate pair; every cut in the Slack renderer goes through safeCut for that reason.
 */

const LINK_LABEL_MAX = 100;

/** Slack's escaping for mrkdwn: only these three characters. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The largest index ≤ n where `s` can be cut without splitting a surrogate pair or an entity. */
export function safeCut(s: string, n: number): number {
  if (n >= s.length) return s.length;
  let i = codePointCut(s, n);
  const amp = s.lastIndexOf('&', i - 1);
  if (amp >= 0 && amp > i - 5) {
    const m = /^&(?:amp|lt|gt);/.exec(s.slice(amp, amp + 5));
    if (m !== null && amp + m[0].length > i) i = amp;
  }
  return i;
}

/** `s` if it fits in `max`, else cut safely with an ellipsis (the result is ≤ max). */
export function truncate(s: string, max: number): string {
  return truncateAt(s, max, safeCut);
}

/** Splits an escaped line into pieces of ≤ max chars, at safe points. */
export function pieces(s: string, max: number): string[] {
  return piecesAt(s, max, safeCut);
}

/** A line inside a ``` block: escaped, and no run of three backticks that would end the block. */
export function codeLine(s: string): string {
  return escapeMrkdwn(s).replace(/`{3,}/g, (run) => run.split('').join('\u200b'));
}

/**
 * A link as `<url|label>`; a URL Slack would not treat as a link (or one that could smuggle in
 * another `<…>`) is shown as text instead.
 */
export function linkToken(l: Link): string {
  const label = escapeMrkdwn(truncate(l.label.trim() === '' ? l.url : l.label, LINK_LABEL_MAX)).replace(/\|/g, '∣');
  if (!/^(https?:\/\/|mailto:)\S+$/i.test(l.url)) return `${label}: ${escapeMrkdwn(l.url)}`;
  const url = l.url.replace(/[|<>\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return `<${url}|${label}>`;
}

export function mrkdwn(text: string): Mrkdwn {
  return { type: 'mrkdwn', text };
}
