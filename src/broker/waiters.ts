/**
 * Long-poll waiters of one partition. A waiter is woken when new data commits, when its time is up, when its client
 * goes away, or when the broker stops: it then re-reads, so a spurious wake-up is harmless.
 */
export class Waiters {
  private readonly set = new Set<() => void>();

  get size(): number {
    return this.set.size;
  }

  /** Resolves on the next wake(), after waitMs, or when the signal aborts; never rejects. */
  wait(waitMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.set.delete(done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      signal?.addEventListener('abort', done, {once: true});
      this.set.add(done);
    });
  }

  wake(): void {
    if (this.set.size === 0) return;
    for (const done of [...this.set]) done();
  }
}
