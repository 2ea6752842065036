import {LatencyHistogram, type LatencySummary} from './histogram.js';
import {nowUs, stampOf, type PayloadMaker} from './payload.js';
import type {TargetConsumer, TargetProducer} from './target.js';

/** One producer's or consumer's share of a run. */
export interface ClientStats {
  role: 'producer' | 'consumer' | 'worker';
  index: number;
  messages: number;
  bytes: number;
  errors: number;
  seconds: number;
  latency: LatencySummary;
}

/** A run's shared state: the message budget (count mode) or the deadline (duration mode), progress and errors. */
export class RunState {
  done = 0;
  errors = 0;
  firstError: string | undefined;
  readonly startedAt = performance.now();
  private remaining: number;
  private deadline: number;
  private stopped = false;
  private finishedAt: number | undefined;

  constructor(
    readonly total: number | undefined,
    readonly durationMs: number | undefined,
  ) {
    this.remaining = total ?? Number.POSITIVE_INFINITY;
    this.deadline = durationMs === undefined ? Number.POSITIVE_INFINITY : this.startedAt + durationMs;
  }

  /** Takes up to n messages from the budget; 0 when the run is over. */
  claim(n: number): number {
    if (this.stopped || performance.now() >= this.deadline) return 0;
    const k = Math.min(n, this.remaining);
    this.remaining -= k;
    return k;
  }

  /** Messages not sent after all (a failed request): back into the budget, so the count is what was acknowledged. */
  unclaim(n: number): void {
    this.remaining += n;
  }

  get over(): boolean {
    return this.stopped || performance.now() >= this.deadline || (this.total !== undefined && this.done >= this.total);
  }

  stop(): void {
    this.stopped = true;
  }

  fail(error: unknown): void {
    this.errors++;
    this.firstError ??= error instanceof Error ? error.message : String(error);
  }

  /** Until now, or until the moment the message count was reached (a consumer still in a long-poll then does not count). */
  get elapsedMs(): number {
    if (this.total !== undefined && this.done >= this.total) this.finishedAt ??= performance.now();
    return (this.finishedAt ?? performance.now()) - this.startedAt;
  }

  /** Call after each message counted, so that elapsedMs stops when the count is reached. */
  counted(): void {
    if (this.total !== undefined && this.done >= this.total) this.finishedAt ??= performance.now();
  }
}

/** Consecutive failures after which a loop gives up (the system is down, not slow). */
const CONSECUTIVE_ERRORS_MAX = 50;

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

export interface ProduceLoopOptions {
  batch: number;
  /** Fixed-rate mode: this producer's requests per second. */
  requestsPerSec: number | undefined;
  /** Counts toward progress (prefill does, too). */
  state: RunState;
}

/** Fixed-rate mode: requests one producer may have outstanding before it waits (an open-loop generator's cap). */
export const RATE_INFLIGHT_MAX = 64;

/**
 * One producer: sends batches until the budget or the time is used up, one request in flight. In fixed-rate mode
 * it is an open-loop generator instead: request k is sent at start + k / rate whether or not earlier ones have been
 * answered (up to RATE_INFLIGHT_MAX outstanding), and its latency is measured from that scheduled time, not from
 * when it could actually be sent: a stall then shows up in every request it delayed (no coordinated omission).
 * `uncorrected` gets the service time alone.
 */
export async function produceLoop(index: number, p: TargetProducer, maker: PayloadMaker, o: ProduceLoopOptions, hist: LatencyHistogram, uncorrected?: LatencyHistogram): Promise<ClientStats> {
  const st = o.state;
  const t0 = performance.now();
  const intervalMs = o.requestsPerSec ? 1000 / o.requestsPerSec : 0;
  let messages = 0;
  let bytes = 0;
  let errors = 0;
  let consecutive = 0;
  let fatal: Error | undefined;
  const inflight = new Set<Promise<void>>();
  const one = async (n: number, from: number): Promise<void> => {
    const start = performance.now();
    const batch = maker.batch(n, (performance.timeOrigin + from) * 1000);
    try {
      await p.send(batch);
      const end = performance.now();
      hist.record(end - from);
      uncorrected?.record(end - start);
      messages += n;
      bytes += n * maker.size;
      st.done += n;
      st.counted();
      consecutive = 0;
    } catch (error) {
      st.unclaim(n);
      st.fail(error);
      errors++;
      if (++consecutive >= CONSECUTIVE_ERRORS_MAX) fatal ??= new Error(`producer ${index}: ${consecutive} requests failed in a row: ${st.firstError}`);
      await sleep(10);
    }
  };
  for (let k = 0; !fatal; k++) {
    const n = st.claim(o.batch);
    if (n === 0) break;
    if (intervalMs === 0) {
      await one(n, performance.now());
      continue;
    }
    const scheduled = t0 + k * intervalMs;
    const wait = scheduled - performance.now();
    if (wait > 0) await sleep(wait);
    while (inflight.size >= RATE_INFLIGHT_MAX) await Promise.race(inflight);
    const pr: Promise<void> = one(n, scheduled).finally(() => inflight.delete(pr));
    inflight.add(pr);
  }
  await Promise.all(inflight);
  if (fatal) throw fatal;
  return {role: 'producer', index, messages, bytes, errors, seconds: (performance.now() - t0) / 1000, latency: hist.summary()};
}

export interface ConsumeLoopOptions {
  role: 'consumer' | 'worker';
  fetchMax: number;
  waitMs: number;
  /** Stop once the run as a whole has received this many (else when `state` says the run is over and the log is drained). */
  target: () => boolean;
  state: RunState;
  /** e2e: per-message latency from the send time the value carries (else per-poll latency goes into `hist`). */
  endToEnd: boolean;
}

/** One consumer or worker: polls until the run's target is reached. */
export async function consumeLoop(index: number, c: TargetConsumer, o: ConsumeLoopOptions, hist: LatencyHistogram): Promise<ClientStats> {
  const t0 = performance.now();
  let messages = 0;
  let bytes = 0;
  let errors = 0;
  let consecutive = 0;
  while (!o.target()) {
    const start = performance.now();
    try {
      const r = await c.poll(o.fetchMax, o.waitMs, o.endToEnd);
      const now = nowUs();
      if (o.endToEnd) {
        for (const v of r.values ?? []) {
          const stamp = stampOf(v);
          if (Number.isFinite(stamp) && stamp > 0) hist.record((now - stamp) / 1000);
        }
      } else if (r.count > 0) {
        hist.record(performance.now() - start);
      }
      // a consumer with nothing to read (no partition of its own) must not spin on resolved promises
      if (r.count === 0 && performance.now() - start < 1) await sleep(1);
      messages += r.count;
      bytes += r.bytes;
      o.state.done += r.count;
      o.state.counted();
      consecutive = 0;
    } catch (error) {
      o.state.fail(error);
      errors++;
      if (++consecutive >= CONSECUTIVE_ERRORS_MAX) throw new Error(`${o.role} ${index}: ${consecutive} polls failed in a row: ${o.state.firstError}`);
      await sleep(10);
    }
  }
  return {role: o.role, index, messages, bytes, errors, seconds: (performance.now() - t0) / 1000, latency: hist.summary()};
}
