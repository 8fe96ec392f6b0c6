/**
 * Cutting text to a platform's limits, shared by the Slack and Lark renderers. Limits count
 * UTF-16 code units (JavaScript's `length`), so a cut can land between the two halves of an
 * emoji; a lone half would show as "�" or make the API refuse the message. Each platform may
 * add its own rule on top (Slack also keeps `&amp;` and friends whole) by passing its own cut.
 */

/** Where a text may be cut: the largest index ≤ n that splits nothing that must stay whole. */
export type CutAt = (s: string, n: number) => number;

/** The largest index ≤ n where `s` can be cut without splitting a surrogate pair. */
export const codePointCut: CutAt = (s, n) => {
  if (n >= s.length) return s.length;
  const i = Math.max(0, n);
  const before = s.charCodeAt(i - 1);
  return i > 0 && before >= 0xd800 && before <= 0xdbff ? i - 1 : i;
};

/** `s` if it fits in `max`, else cut at a safe point with an ellipsis (the result is ≤ max). */
export function truncate(s: string, max: number, cut: CutAt = codePointCut, ellipsis = '…'): string {
  if (s.length <= max) return s;
  return s.slice(0, cut(s, max - ellipsis.length)) + ellipsis;
}

/**
 * Splits `s` into pieces of ≤ max code units at safe points. A piece is never empty, so a max
 * too small for one whole character still makes progress (that piece then holds a lone half).
 */
export function pieces(s: string, max: number, cut: CutAt = codePointCut): string[] {
  const out: string[] = [];
  let rest = s;
  while (rest.length > max) {
    const at = Math.max(1, cut(rest, max));
    out.push(rest.slice(0, at));
    rest = rest.slice(at);
  }
  out.push(rest);
  return out;
}

/**
 * Lines joined with "\n" into chunks of at most `max` characters, in order, for follow-up
 * messages (thread replies); a line longer than `max` is split into pieces of its own.
 */
export function chunkLines(lines: readonly string[], max: number): string[] {
  const chunks: string[] = [];
  let current: string | undefined;
  const flush = (): void => {
    if (current !== undefined) chunks.push(current);
    current = undefined;
  };
  for (const line of lines) {
    if (line.length > max) {
      flush();
      chunks.push(...pieces(line, max));
      continue;
    }
    if (current === undefined) current = line;
    else if (current.length + 1 + line.length <= max) current += `\n${line}`;
    else {
      flush();
      current = line;
    }
  }
  flush();
  return chunks;
}
