/**
 * Durations as people type them: "90s", "30m", "2h", "1d", "1h30m". The value prints back in
 * the same canonical form, so a parsed command renders to text that parses to it again.
 */
const UNITS: Readonly<Record<string, number>> = { w: 604800, d: 86400, h: 3600, m: 60, s: 1 };
const PART = /(\d+)\s*(w|d|h|m|s)/gy;

export class Duration {
  readonly seconds: number;
  constructor(seconds: number) {
    this.seconds = seconds;
  }
  toString(): string {
    return formatDuration(this.seconds);
  }
  toJSON(): string {
    return this.toString();
  }
}

export function parseDuration(text: string): Duration | undefined {
  const s = text.trim().toLowerCase();
  if (s === '' || s.length > 32) return undefined;
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  let m: RegExpExecArray | null;
  while ((m = PART.exec(s)) !== null) {
    total += Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 0);
    consumed = PART.lastIndex;
  }
  if (consumed !== s.length || total <= 0 || !Number.isSafeInteger(total)) return undefined;
  return new Duration(total);
}

export function formatDuration(seconds: number): string {
  let rest = seconds;
  let out = '';
  for (const [unit, size] of Object.entries(UNITS)) {
    if (unit === 'w') continue; // weeks read oddly in chat ("1w2d"); days are clearer
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out === '' ? '0s' : out;
}
