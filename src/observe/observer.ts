import type {Broker} from '../broker/broker.js';
import type {PartitionLog} from '../broker/partition.js';
import {ZERO_RATES, type Rates} from './status-model.js';
import {SampleWindow} from './sample-window.js';

export interface ObserverOptions {
  /** Rates (messages, bytes, CPU) are measured over this much recent time. */
  windowMs: number;
  /** How often counters are sampled. */
  sampleMs?: number;
}

const counters = (log: PartitionLog): number[] => [log.counters.messagesIn, log.counters.bytesIn, log.counters.messagesOut, log.counters.bytesOut];
const cpuMicros = (): number[] => {
  const u = process.cpuUsage();
  return [u.user + u.system];
};

/**
 * What /status and /metrics need beyond the broker's own counters: recent rates per partition, CPU use, leader
 * changes, and the open status streams. One per broker (tests run several brokers in one process); it samples on a
 * timer that stops by itself once the broker closes.
 */
export class BrokerObserver {
  readonly windowMs: number;
  /** Times a partition's leader or term changed since start (the first sight of a partition is not a change). */
  leaderChanges = 0;
  /** Open `GET /status/stream` connections, and a way to end them all when the server stops. */
  readonly statusStreams = new Set<() => void>();
  private readonly partitions = new WeakMap<PartitionLog, SampleWindow>();
  private readonly cpu: SampleWindow;
  private leaders = new Map<string, string>();
  private lastSampleAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sampleFailed = false;

  constructor(
    private readonly broker: Broker,
    opts: ObserverOptions,
  ) {
    this.windowMs = opts.windowMs;
    this.cpu = new SampleWindow(opts.windowMs);
    this.trySample();
    const sampleMs = opts.sampleMs ?? Math.min(1000, Math.max(50, Math.floor(opts.windowMs / 5)));
    this.timer = setInterval(() => this.onTick(), sampleMs);
    this.timer.unref();
  }

  private onTick(): void {
    if (this.broker.isClosing) this.stop();
    else this.trySample();
  }

  /** Sampling runs on a timer, where an exception would take the broker down: a failure is logged (once) and skipped. */
  private trySample(): void {
    try {
      this.sample();
    } catch (err) {
      if (!this.sampleFailed) this.broker.logger.warn({err}, 'status sampling failed; rates may be stale');
      this.sampleFailed = true;
    }
  }

  /** Takes one sample of every partition's counters, the process CPU time and the partition leaders. */
  sample(): void {
    const t = this.broker.clock.monotonic();
    this.cpu.add(performance.now(), cpuMicros());
    const leaders = new Map<string, string>();
    for (const topic of this.broker.topics.list()) {
      for (const log of topic.partitions.values()) {
        this.windowOf(log).add(t, counters(log));
        const key = `${log.topic}/${log.number}`;
        const v = this.broker.partitionView(log);
        const leader = `${v.leader}@${v.term}`;
        const before = this.leaders.get(key);
        if (before !== undefined && before !== leader) this.leaderChanges++;
        leaders.set(key, leader);
      }
    }
    // rebuilt each time, so deleted topics do not accumulate
    this.leaders = leaders;
    this.lastSampleAt = t;
  }

  /**
   * A partition first seen after a sample was created after it, and its counters started at zero then: that is its
   * base, so the messages of a brand-new topic count in its first rate. (Partitions present at the first sample
   * have no earlier point.)
   */
  private windowOf(log: PartitionLog): SampleWindow {
    let w = this.partitions.get(log);
    if (!w) {
      this.partitions.set(log, (w = new SampleWindow(this.windowMs)));
      if (this.lastSampleAt !== undefined) w.add(this.lastSampleAt, [0, 0, 0, 0]);
    }
    return w;
  }

  /** Messages and bytes per second in and out of one partition over the recent window. */
  partitionRates(log: PartitionLog): Rates {
    const {rates, spanMs} = this.windowOf(log).perSecond(this.broker.clock.monotonic(), counters(log));
    return {messages_in_per_s: round(rates[0]!), bytes_in_per_s: round(rates[1]!), messages_out_per_s: round(rates[2]!), bytes_out_per_s: round(rates[3]!), window_ms: Math.round(spanMs)};
  }

  /** Process CPU time over the window as a share of one core, in percent. */
  cpuPercent(): number {
    const {rates} = this.cpu.perSecond(performance.now(), cpuMicros());
    // µs of CPU per second of wall time: 1e6 is one core
    return round((rates[0]! / 1e6) * 100);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const end of [...this.statusStreams]) end();
  }
}

const round = (x: number): number => Math.round(x * 100) / 100;

const observers = new WeakMap<Broker, BrokerObserver>();

/** The broker's observer, started on first use (by the observe routes, or by /status if those are not mounted). */
export function observerFor(broker: Broker): BrokerObserver {
  let o = observers.get(broker);
  if (!o) observers.set(broker, (o = new BrokerObserver(broker, {windowMs: broker.config.statusRateWindowMs})));
  return o;
}

/** Sums rates (topic and node totals); the window is the longest of those summed (a new partition's is shorter). */
export function sumRates(list: readonly Rates[]): Rates {
  if (list.length === 0) return {...ZERO_RATES};
  return {
    messages_in_per_s: round(list.reduce((n, r) => n + r.messages_in_per_s, 0)),
    bytes_in_per_s: round(list.reduce((n, r) => n + r.bytes_in_per_s, 0)),
    messages_out_per_s: round(list.reduce((n, r) => n + r.messages_out_per_s, 0)),
    bytes_out_per_s: round(list.reduce((n, r) => n + r.bytes_out_per_s, 0)),
    window_ms: Math.max(...list.map((r) => r.window_ms)),
  };
}
