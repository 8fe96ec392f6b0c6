/**
 * One line per fault test saying what it checked, with the numbers, so a run's output reads as
 * a report ("[fault apiserver-outage] down_s=31 resumed_after_s=4 bot_writes=1 …"). Printed
 * after the assertions passed, so the line is only there when what it says held.
 */
export function faultReport(name: string, facts: Readonly<Record<string, string | number | boolean>>): void {
  const parts = Object.entries(facts).map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`);
  console.info(`[fault ${name}] ${parts.join(' ')}`);
}
