/**
 * The progress bar every surface draws (Slack, Lark, the CLI), each with its own glyphs. The
 * numbers come from job events, so the bar must survive any of them: done is held within
 * 0…total, and a total that is not a positive finite number (or a done that is not finite)
 * draws an empty bar rather than a bar of the wrong length or a RangeError from repeat().
 */

export interface BarGlyphs {
  readonly full: string;
  readonly empty: string;
}

export const BAR_CELLS = 20;

/** How many of the bar's cells are filled for `done` of `total`. */
export function filledCells(done: number, total: number, cells: number = BAR_CELLS): number {
  const t = Number.isFinite(total) && total > 0 ? total : 0;
  const d = Number.isFinite(done) ? Math.min(Math.max(done, 0), t) : 0;
  return t === 0 ? 0 : Math.round((d / t) * cells);
}

/** The bar alone, always `cells` glyphs long: "▓▓▓░░░…". */
export function progressBar(done: number, total: number, glyphs: BarGlyphs, cells: number = BAR_CELLS): string {
  const filled = filledCells(done, total, cells);
  return glyphs.full.repeat(filled) + glyphs.empty.repeat(cells - filled);
}
