/**
 * A background loop: run a pass, sleep as long as it says, again, until stopped. The sleep is
 * cut short by stop(), which then waits for the pass in progress to end. Errors in a pass are
 * reported and the loop goes on (after `errorWaitMs`).
 */
export interface Loop {
  stop(): Promise<void>;
}

export function runLoop(pass: () => Promise<number>, opts: { onError?: (e: unknown) => void; errorWaitMs: number }): Loop {
  let stopped = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      let wait = opts.errorWaitMs;
      try {
        wait = await pass();
      } catch (e) {
        if (!stopped) opts.onError?.(e);
      }
      if (stopped) break;
      if (wait <= 0) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  })();
  return {
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
