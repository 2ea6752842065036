import {MqError} from '../errors.js';
import type {LogStore} from '../storage/index.js';
import type {Clock} from '../util/clock.js';

/**
 * What one group commit shares between the operations in it: the wall-clock time of the flush, hooks that run once
 * the commit is durable, and undo hooks for in-memory state changed inside the transaction (they run if it rolls
 * back). An operation runs in a child scope that joins its parent only if its savepoint succeeds.
 */
export class CommitScope {
  private readonly hooks: Array<() => void> = [];
  private readonly undo: Array<() => void> = [];

  constructor(
    readonly now: number,
    private readonly parent?: CommitScope,
  ) {}

  onCommit(fn: () => void): void {
    this.hooks.push(fn);
  }

  onRollback(fn: () => void): void {
    this.undo.push(fn);
  }

  child(): CommitScope {
    return new CommitScope(this.now, this);
  }

  /** Hands hooks up to the parent once the child's savepoint succeeded. */
  join(): void {
    const p = this.parent!;
    for (const fn of this.hooks) p.hooks.push(fn);
    for (const fn of this.undo) p.undo.push(fn);
  }

  runHooks(): void {
    for (const fn of this.hooks) fn();
  }

  rollback(): void {
    for (let i = this.undo.length - 1; i >= 0; i--) this.undo[i]!();
  }
}

interface Pending {
  weight: number;
  op: (scope: CommitScope) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitStats {
  flushes: number;
  ops: number;
  maxOpsPerFlush: number;
}

/**
 * Group commit: operations submitted in the same turn of the event loop share one transaction and one fsync. Each
 * runs in its own savepoint, so one that throws fails alone; if the commit itself fails, every operation in it fails
 * and nothing of it was written. Urgent operations (work-queue confirms: acks, progress, nacks) go first, so a busy
 * broker settles confirms before it hands out new work (the seed's "confirms first").
 */
export class GroupCommitter {
  private queue: Pending[] = [];
  private urgent: Pending[] = [];
  private scheduled = false;
  private idle: Array<() => void> = [];
  readonly stats: GroupCommitStats = {flushes: 0, ops: 0, maxOpsPerFlush: 0};

  constructor(
    private readonly store: LogStore,
    private readonly clock: Clock,
    private readonly weightMax: number,
  ) {}

  get pending(): number {
    return this.queue.length + this.urgent.length;
  }

  submit<T>(weight: number, op: (scope: CommitScope) => T, opts: {urgent?: boolean} = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      (opts.urgent ? this.urgent : this.queue).push({weight, op, resolve: resolve as (v: unknown) => void, reject});
      this.schedule();
    });
  }

  /** Resolves once everything submitted so far has been committed or failed. */
  drain(): Promise<void> {
    if (this.pending === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private take(): Pending[] {
    let weight = 0;
    const out: Pending[] = [];
    for (const q of [this.urgent, this.queue]) {
      let n = 0;
      while (n < q.length && (out.length + n === 0 || weight + q[n]!.weight <= this.weightMax)) weight += q[n++]!.weight;
      out.push(...q.splice(0, n));
    }
    return out;
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.take();
    if (batch.length > 0) this.commit(batch);
    if (this.pending > 0) this.schedule();
    else for (const fn of this.idle.splice(0)) fn();
  }

  private commit(batch: Pending[]): void {
    const scope = new CommitScope(this.clock.now());
    const outcomes: Array<{ok: true; value: unknown} | {ok: false; error: unknown}> = [];
    try {
      this.store.transaction(() => {
        for (const p of batch) {
          const child = scope.child();
          try {
            const value = this.store.transaction(() => p.op(child));
            child.join();
            outcomes.push({ok: true, value});
          } catch (error) {
            child.rollback();
            outcomes.push({ok: false, error});
          }
        }
      });
    } catch (error) {
      scope.rollback();
      const failure = commitFailure(error);
      for (const p of batch) p.reject(failure);
      return;
    }
    this.stats.flushes++;
    this.stats.ops += batch.length;
    this.stats.maxOpsPerFlush = Math.max(this.stats.maxOpsPerFlush, batch.length);
    scope.runHooks();
    batch.forEach((p, i) => {
      const o = outcomes[i]!;
      if (o.ok) p.resolve(o.value);
      else p.reject(o.error);
    });
  }
}

/** A failed COMMIT rolled everything back; only an I/O error leaves doubt about what reached the disk. */
export function commitFailure(error: unknown): MqError {
  const code = (error as {code?: string}).code ?? '';
  if (code === 'SQLITE_FULL') return new MqError('DISK_FULL', 'the disk is full; nothing was written', undefined, false);
  if (code.startsWith('SQLITE_IOERR')) return new MqError('INTERNAL', `storage I/O error (${code})`, undefined, 'unknown');
  if (error instanceof MqError) return error;
  return new MqError('INTERNAL', `commit failed: ${(error as Error).message}`, undefined, false);
}
