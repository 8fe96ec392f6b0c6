import { chunkLines } from '../text-cut.ts';
import { LIMITS } from './limits.ts';
import { pieces } from './mrkdwn.ts';

/**
 * The content of a message that may be cut (its text, its sections, and what only goes to the
 * thread), packed into section texts within a budget of characters and blocks. What does not
 * fit is packed again, without a budget, into the overflow: thread replies in message order.
 * Lines are cut only at line boundaries, except a line too long for any section, which is
 * split into pieces first.
 */

/** An escaped line longer than this is split into pieces, so any piece fits in a section with its heading and fences. */
const PIECE_MAX = 2500;

interface Unit {
  readonly text: string;
  /** The original line it comes from (a long line becomes several units). */
  readonly line: number;
}

/** Content that may be cut: the text, the sections, and what only goes to the thread. */
export interface Item {
  readonly kind: 'prose' | 'code';
  /** Rendered mrkdwn, e.g. "*Workloads*". */
  readonly heading: string | undefined;
  readonly units: readonly Unit[];
  readonly lines: number;
  /** false: goes to the thread only (the full value of a truncated field, links that did not fit). */
  readonly showable: boolean;
  readonly name: string;
}

/** What is left of an item for the thread: its units from `from` on; `continued` when part of it was shown. */
export interface Rest {
  readonly it: Item;
  readonly from: number;
  readonly continued: boolean;
}

export interface Budget {
  chars: number;
  blocks: number;
}

export function item(kind: Item['kind'], name: string, heading: string | undefined, lines: readonly string[], showable = true): Item {
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
export function pack(it: Item, from: number, heading: string | undefined, max: number, budget: Budget): { texts: string[]; next: number } {
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

/**
 * The rest of each cut or thread-only item, packed into chunks of ≤3000 chars, in order. Each
 * framed text already fits in a section (pieces are ≤ PIECE_MAX), so chunkLines only joins them.
 */
export function overflowChunks(rest: readonly Rest[]): string[] {
  const frames: string[] = [];
  for (const { it, from, continued } of rest) {
    if (from >= it.units.length && (it.units.length > 0 || it.heading === undefined)) continue;
    const heading = it.heading === undefined ? undefined : continued ? `${it.heading} _(continued)_` : it.heading;
    const { texts } = pack(it, from, heading, LIMITS.sectionText, { chars: Number.POSITIVE_INFINITY, blocks: Number.POSITIVE_INFINITY });
    frames.push(...texts);
  }
  return chunkLines(frames, LIMITS.sectionText);
}
