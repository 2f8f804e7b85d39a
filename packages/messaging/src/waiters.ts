/**
 * Callers waiting for something to happen (a connection to be ready, a consumer to consume),
 * each with its own deadline; `release` lets every one of them go.
 */
export class Waiters {
  private readonly waiting = new Set<() => void>();

  /** Resolves at the next `release`, or rejects with `timedOut()` after `timeoutMs`. */
  wait(timeoutMs: number, timedOut: () => Error): Promise<void> {
    return new Promise((resolve, reject) => {
      const onRelease = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiting.delete(onRelease);
        reject(timedOut());
      }, timeoutMs);
      this.waiting.add(onRelease);
    });
  }

  release(): void {
    for (const waiter of this.waiting) waiter();
    this.waiting.clear();
  }
}
