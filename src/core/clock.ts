/**
 * Wall-clock time in a time zone, computed with Intl (pure: no I/O, no global clock).
 * Freeze windows are written in local time, so comparisons happen in local time too.
 */
export interface LocalTime {
  /** "2026-12-24 18:30": sortable as text. */
  readonly stamp: string;
  readonly weekday: 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
  /** "18:30" */
  readonly clock: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function localTime(instant: Date, timeZone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(instant)) parts[p.type] = p.value;
  const clock = `${parts['hour']}:${parts['minute']}`;
  return {
    stamp: `${parts['year']}-${parts['month']}-${parts['day']} ${clock}`,
    weekday: (parts['weekday'] ?? 'Mon').slice(0, 3).toLowerCase() as LocalTime['weekday'],
    clock,
  };
}

/** "10:04 UTC": when something happened, in chat messages. */
export function hhmmUtc(d: Date): string {
  return `${d.toISOString().slice(11, 16)} UTC`;
}
