import { setTimeout as sleep } from 'node:timers/promises';
import { probeOnce, probeUrl, type ProbeConfig, type ProbeOptions, type ProbePlace } from './probe.ts';

/**
 * The probe gate after a deploy or promotion: once the rollout is done, the app's HTTP probe
 * runs every `interval`; the gate passes after `successes` passes in a row and fails when the
 * window (from the first probe) can no longer hold them, which at the latest is when it runs
 * out. A pass is the expected status with a body free of the forbidden string, within the
 * probe's timeout. Every result is handed to `onSample` as it comes (chat, the audit log).
 */
export interface ProbeSample {
  /** 1-based. */
  readonly n: number;
  readonly at: Date;
  readonly ok: boolean;
  /** The HTTP status, when an answer came. */
  readonly status: number | undefined;
  /** Why it failed, in words. */
  readonly problem: string | undefined;
}

export type GateSettings = Pick<ProbeConfig, 'interval' | 'successes' | 'window'>;

export type GateState = 'passed' | 'failed' | 'probing';

/** Passes in a row at the end of `samples`. */
function streak(samples: readonly ProbeSample[]): number {
  let n = 0;
  for (let i = samples.length - 1; i >= 0 && samples[i]?.ok === true; i--) n++;
  return n;
}

/**
 * Where the gate stands after `samples`, the n-th of which was due at (n - 1) intervals into
 * the window, `elapsedMs` after the first: passed with `successes` passes in a row; failed once
 * the window is over, or sooner when even passes at every probe still due inside it could not
 * make up the streak. Pure.
 */
export function gateState(samples: readonly ProbeSample[], g: GateSettings, elapsedMs: number): GateState {
  const have = streak(samples);
  if (have >= g.successes) return 'passed';
  if (elapsedMs > g.window.seconds * 1000) return 'failed';
  const due = Math.floor(g.window.seconds / g.interval.seconds) + 1;
  return samples.length + (g.successes - have) > due ? 'failed' : 'probing';
}

/** "200 at 10:02:11" / "500 at 10:02:21" / "no answer at 10:02:31". Pure. */
export function sampleText(s: ProbeSample): string {
  return `${s.status === undefined ? 'no answer' : String(s.status)}${s.ok ? '' : ' (fail)'} at ${s.at.toISOString().slice(11, 19)}`;
}

/** Every result, for the message and the audit log: "probes: 500 (fail) at 10:02:01, …". Pure. */
export function samplesText(samples: readonly ProbeSample[]): string {
  return `probes: ${samples.map(sampleText).join(', ')}`;
}

export interface GateResult {
  readonly passed: boolean;
  readonly url: string;
  readonly samples: readonly ProbeSample[];
  /** A sentence for chat: why it passed or failed, with every result. */
  readonly summary: string;
}

export interface GateOptions extends Pick<ProbeOptions, 'fetch' | 'signal'> {
  readonly now?: () => number;
  readonly onSample?: (sample: ProbeSample, url: string) => Promise<void>;
}

export async function runProbeGate(probe: ProbeConfig, place: ProbePlace, options: GateOptions): Promise<GateResult> {
  const now = options.now ?? Date.now;
  const url = probeUrl(probe.url, place);
  const samples: ProbeSample[] = [];
  const started = now();
  for (;;) {
    if (options.signal?.aborted === true) throw new Error(`the probe gate of ${url} was cancelled`);
    const r = await probeOnce(url, probe, { fetch: options.fetch, ...(options.signal === undefined ? {} : { signal: options.signal }) });
    const sample: ProbeSample = { n: samples.length + 1, at: new Date(now()), ok: r.problem === undefined, status: r.status, problem: r.problem };
    samples.push(sample);
    await options.onSample?.(sample, url);
    const state = gateState(samples, probe, now() - started);
    if (state === 'passed') {
      return { passed: true, url, samples, summary: `probe passed ${probe.successes} time(s) in a row (${samplesText(samples)})` };
    }
    if (state === 'failed') {
      const last = samples.filter((s) => !s.ok).at(-1);
      const why = last?.problem ?? 'it failed';
      return { passed: false, url, samples, summary: `probe did not pass ${probe.successes} time(s) in a row within ${probe.window.toString()}: ${why} (${samplesText(samples)})` };
    }
    // The next probe is due `interval` after the previous one was due, not after it answered.
    const wait = started + samples.length * probe.interval.seconds * 1000 - now();
    if (wait > 0) {
      try {
        await sleep(wait, undefined, options.signal === undefined ? {} : { signal: options.signal });
      } catch {
        throw new Error(`the probe gate of ${url} was cancelled`);
      }
    }
  }
}
