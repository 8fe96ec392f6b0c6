/**
 * Asks a cluster every `everyMs` whether it still answers, while watches on it are open, and
 * says when that changes. A watch can't tell this by itself: an apiserver shutting down stops
 * taking connections at once but keeps the watches it has open, silent, until it exits (on the
 * local clusters, the 10 s before SIGKILL; a real one up to its watch termination grace period),
 * and a connection cut without a reset stays open until the watch's idle timeout.
 */
export class ClusterProbe {
  /** Why the cluster doesn't answer, while it doesn't. */
  problem: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly check: () => Promise<boolean>;
  private readonly everyMs: number;
  private readonly onChange: (down: boolean) => void;

  constructor(check: () => Promise<boolean>, everyMs: number, onChange: (down: boolean) => void) {
    this.check = check;
    this.everyMs = everyMs;
    this.onChange = onChange;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  /** Stops asking; a cluster not asked about counts as answering. */
  stop(): void {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.problem = undefined;
  }

  private schedule(): void {
    this.timer = setTimeout(() => void this.once(), this.everyMs);
    this.timer.unref();
  }

  private async once(): Promise<void> {
    const ok = await this.check();
    if (!this.running) return;
    const was = this.problem !== undefined;
    this.problem = ok ? undefined : 'the cluster did not answer a /version request';
    if (was !== !ok) this.onChange(!ok);
    this.schedule();
  }
}
