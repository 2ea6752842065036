export type ProcessedState = 'processed' | 'dead_lettered' | 'pending';

interface Waiter {
  pending: Set<string>;
  states: Map<string, ProcessedState>;
  resolve: () => void;
}

/**
 * produce?await=processed: a produce request waits until every queue group that existed on the topic when it was
 * written has acked (or dead-lettered) each of its messages. Keyed by partition storage id and offset.
 */
export class ProcessedWaiters {
  private readonly waiters = new Map<string, Waiter[]>();

  /**
   * Waits for the groups to settle the message; `settledNow` reports states already reached (an ack can race the
   * registration). Resolves with each group's state when all are settled or the time is up.
   */
  async wait(
    pid: number,
    offset: number,
    groups: readonly string[],
    settledNow: (group: string) => ProcessedState,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<Record<string, ProcessedState>> {
    const states = new Map<string, ProcessedState>(groups.map((g) => [g, settledNow(g)]));
    const pending = new Set(groups.filter((g) => states.get(g) === 'pending'));
    if (pending.size > 0) {
      const key = `${pid}/${offset}`;
      await new Promise<void>((resolve) => {
        const w: Waiter = {pending, states, resolve};
        const done = (): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          const list = this.waiters.get(key)?.filter((x) => x !== w) ?? [];
          if (list.length === 0) this.waiters.delete(key);
          else this.waiters.set(key, list);
          resolve();
        };
        w.resolve = done;
        const timer = setTimeout(done, timeoutMs);
        signal?.addEventListener('abort', done, {once: true});
        this.waiters.set(key, [...(this.waiters.get(key) ?? []), w]);
      });
    }
    return Object.fromEntries(states);
  }

  settled(group: string, pid: number, offset: number, state: Exclude<ProcessedState, 'pending'>): void {
    for (const w of this.waiters.get(`${pid}/${offset}`) ?? []) {
      if (!w.pending.has(group)) continue;
      w.pending.delete(group);
      w.states.set(group, state);
      if (w.pending.size === 0) w.resolve();
    }
  }

  get size(): number {
    let n = 0;
    for (const l of this.waiters.values()) n += l.length;
    return n;
  }
}
