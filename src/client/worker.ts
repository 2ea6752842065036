import {MqError} from '../errors.js';
import type {WireDelivery} from '../protocol/wire.js';
import {MqClient, type ClientOptions} from './client.js';

export interface JobContext {
  /** Extends the lease now (the worker also does so on its own every leaseMs / 3 while the handler runs). */
  progress(): Promise<void>;
  /** Aborts when the worker stops or the lease is lost. */
  signal: AbortSignal;
}

/** Remembers which message ids were processed, for handlers that must not run twice (the seed's processed_ids). */
export interface ProcessedIds {
  has(id: string): boolean | Promise<boolean>;
  /** A Set's add() fits: what it returns is ignored (a promise is awaited). */
  add(id: string): unknown;
}

export interface WorkerOptions extends ClientOptions {
  group: string;
  handler: (message: WireDelivery, ctx: JobContext) => Promise<void> | void;
  /** Messages handled at once (default 1). */
  concurrency?: number;
  /** The lease to ask for (default: the group's). */
  leaseMs?: number;
  /** How long a failed message waits before it is delivered again (default 0). */
  nackDelayMs?: number;
  /** Shown in receipts as the consumer (default worker-<pid>). */
  consumer?: string;
  processedIds?: ProcessedIds;
  /** Longest long-poll for new work (default 5 s). */
  waitMs?: number;
  onError?: (error: unknown, message?: WireDelivery) => void;
  /** Take at most this many messages, then finish (for scripts: `mq consume --queue --max N`). */
  limit?: number;
  /** Send a temporary confirm (progress) as soon as a message arrives, before the handler runs: the seed's "temp confirm". */
  confirmOnReceipt?: boolean;
}

export interface WorkerStats {
  acked: number;
  nacked: number;
  skippedDuplicates: number;
  leaseLost: number;
}

/**
 * A queue worker: leases messages from a queue group, runs the handler with automatic progress (so a long job keeps
 * its lease), acks when it resolves and nacks when it throws. `processedIds` makes a handler that is not idempotent
 * safe against redelivery: an id already processed is acked without running the handler again.
 */
export class Worker {
  readonly client: MqClient;
  readonly stats: WorkerStats = {acked: 0, nacked: 0, skippedDuplicates: 0, leaseLost: 0};
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  private readonly leaseMs: number;

  constructor(private readonly opts: WorkerOptions) {
    this.client = new MqClient(opts);
    this.leaseMs = opts.leaseMs ?? 0;
  }

  /** Starts working; resolves when stop() has finished the jobs in hand. */
  start(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  /** Stops fetching, lets running handlers finish (and ack), then returns. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
    this.closing ??= this.client.close();
    await this.closing;
  }

  private closing: Promise<void> | undefined;

  private async loop(): Promise<void> {
    const concurrency = this.opts.concurrency ?? 1;
    const active = new Set<Promise<void>>();
    let taken = 0;
    const limit = this.opts.limit ?? Number.POSITIVE_INFINITY;
    while (!this.stopping.signal.aborted && taken < limit) {
      if (active.size >= concurrency) {
        await Promise.race(active);
        continue;
      }
      let batch: WireDelivery[];
      try {
        batch = await this.client.lease(this.opts.group, {
          consumer: this.opts.consumer ?? `worker-${process.pid}`,
          maxMessages: Math.min(concurrency - active.size, limit - taken),
          waitMs: this.opts.waitMs ?? 5000,
          leaseMs: this.opts.leaseMs,
          signal: this.stopping.signal,
        });
      } catch (error) {
        if (this.stopping.signal.aborted) break;
        this.opts.onError?.(error);
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      taken += batch.length;
      for (const m of batch) {
        const job = this.run(m).finally(() => active.delete(job));
        active.add(job);
      }
    }
    await Promise.allSettled(active);
  }

  private async run(m: WireDelivery): Promise<void> {
    const group = this.opts.group;
    const lost = new AbortController();
    const leaseMs = this.leaseMs > 0 ? this.leaseMs : Math.max(300, m.lease_expires_at - Date.now());
    const progress = async (): Promise<void> => {
      try {
        await this.client.progress(group, m.lease_id, this.opts.leaseMs ? {leaseMs: this.opts.leaseMs} : {});
      } catch (error) {
        if (error instanceof MqError && error.code === 'LEASE_EXPIRED') lost.abort();
        else throw error;
      }
    };
    const timer = setInterval(() => void progress().catch((e: unknown) => this.opts.onError?.(e, m)), Math.max(100, Math.floor(leaseMs / 3)));
    try {
      if (this.opts.confirmOnReceipt) await progress();
      const seen = m.id !== null && this.opts.processedIds ? await this.opts.processedIds.has(m.id) : false;
      if (seen) {
        this.stats.skippedDuplicates++;
      } else {
        const signal = AbortSignal.any([lost.signal, this.stopping.signal]);
        await this.opts.handler(m, {progress, signal});
        if (m.id !== null) await this.opts.processedIds?.add(m.id);
      }
      clearInterval(timer);
      await this.client.ack(group, m.lease_id);
      this.stats.acked++;
    } catch (error) {
      clearInterval(timer);
      if (error instanceof MqError && error.code === 'LEASE_EXPIRED') {
        this.stats.leaseLost++;
        return;
      }
      this.opts.onError?.(error, m);
      try {
        await this.client.nack(group, m.lease_id, {delayMs: this.opts.nackDelayMs, error: error instanceof Error ? error.message : String(error)});
        this.stats.nacked++;
      } catch (e) {
        if (!(e instanceof MqError && e.code === 'LEASE_EXPIRED')) this.opts.onError?.(e, m);
        else this.stats.leaseLost++;
      }
    }
  }
}
