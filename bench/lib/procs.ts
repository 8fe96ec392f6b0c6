import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Child processes for the benchmarks: started here, ended by PID, nothing else touched. */
export interface Child {
  readonly proc: ChildProcess;
  readonly startedAt: number;
  /** Lines the child printed (stdout and stderr). */
  readonly output: string[];
  stop(): Promise<void>;
}

/** Every child still running, so an interrupted run can stop them all. */
const running = new Set<Child>();

/** Stops every child this run started that is still running (by PID). */
export async function stopChildren(): Promise<void> {
  await Promise.all([...running].map((c) => c.stop()));
}

export function startChild(script: string, args: readonly string[], env: Readonly<Record<string, string>>, nodeFlags: readonly string[] = []): Child {
  return startProgram(process.execPath, [...nodeFlags, script, ...args], env);
}

/** A memory figure of a process from /proc/<pid>/status (VmRSS, VmHWM, …) in MB. */
function statusMb(pid: number, field: string): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? Number.NaN : Number(m[1]) / 1024;
}

/** Resident set size of a process in MB. */
export function rssMb(pid: number): number {
  return statusMb(pid, 'VmRSS');
}

/** Waits for a line matching `re` in the child's output; returns the match. */
export async function waitForLine(c: Child, re: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const l of c.output) {
      const m = re.exec(l);
      if (m !== null) return m;
    }
    if (Date.now() > deadline) throw new Error(`no line matching ${String(re)} within ${timeoutMs} ms; output:\n${c.output.join('\n')}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Any program (startChild runs Node on a script; Alertmanager's binary runs directly). */
export function startProgram(command: string, args: readonly string[], env: Readonly<Record<string, string>> = {}): Child {
  const startedAt = performance.now();
  const proc = spawn(command, [...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  proc.stdout?.on('data', (d: Buffer) => output.push(...d.toString().split('\n').filter((l) => l !== '')));
  proc.stderr?.on('data', (d: Buffer) => output.push(...d.toString().split('\n').filter((l) => l !== '')));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const child: Child = {
    proc,
    startedAt,
    output,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
  running.add(child);
  void exited.then(() => running.delete(child));
  return child;
}

/** Peak resident set size of a process so far (VmHWM) in MB, from /proc. */
export function peakRssMb(pid: number): number {
  return statusMb(pid, 'VmHWM');
}
