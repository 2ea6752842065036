import type {PartitionLog} from '../partition.js';

/** Resolves when any of the partitions gets new data, the time is up, or the signal aborts. */
export async function waitAny(logs: PartitionLog[], waitMs: number, signal: AbortSignal): Promise<void> {
  if (logs.length === 0) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, waitMs);
      signal.addEventListener('abort', () => (clearTimeout(t), resolve()), {once: true});
    });
    return;
  }
  const ac = new AbortController();
  const onAbort = (): void => ac.abort();
  signal.addEventListener('abort', onAbort, {once: true});
  try {
    await Promise.race(logs.map((l) => l.waiters.wait(waitMs, ac.signal)));
  } finally {
    ac.abort();
    signal.removeEventListener('abort', onAbort);
  }
}
