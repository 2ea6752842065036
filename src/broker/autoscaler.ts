import type {ElasticCommand} from '../cluster/metadata/elastic-ops.js';
import {AUTOSCALE_DEFAULTS, type AutoscaleConfig} from './autoscale-config.js';
import {partitionLoad, quickLoad, type LoadSources, type PartitionLoad} from './autoscale-load.js';
import type {Broker} from './broker.js';
import type {TopicRecord} from './topic-config.js';
import type {Topic} from './topics.js';

/** How often the autoscaler looks whether any topic's check is due (each topic has its own check interval). */
const TICK_MS = 10;

/** Per autoscaled partition (by pid): since when it has been quiet, at which high watermark. */
interface Quiet {
  since: number;
  highWatermark: number;
  /** Seen drained (by a check after the drain applied), at this high watermark. */
  drainedAt?: number;
}

/**
 * Elastic partitions (DESIGN §3 "Autoscaling"). The metadata leader checks each autoscaled topic every
 * check_interval_ms: a partition whose load passes high_water × max_load gets the topic a new partition (within
 * max_partitions and the brokers' configured budget); an autoscaled partition that is finished (empty or fully acked,
 * no lease), and stays so for idle_after_ms, is drained (no new messages routed to it), checked once more, then
 * removed. Every change goes through the metadata group, so every broker routes, leases and assigns alike; each
 * broker drops the storage of a removed partition as the removal applies. Topics without `autoscale` are untouched.
 */
export class Autoscaler {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private readonly lastCheck = new Map<string, number>();
  private readonly quiet = new Map<number, Quiet>();

  constructor(
    private readonly broker: Broker,
    private readonly src: LoadSources,
  ) {
    // every broker: a partition that the metadata removed loses its replica here (and its storage)
    const registry = broker.topics;
    const previous = registry.onTopicChanged;
    registry.onTopicChanged = (name, record) => {
      previous?.(name, record);
      if (record) this.release(name, record);
    };
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Drops this broker's replicas of partitions the topic no longer has. */
  private release(name: string, record: TopicRecord): void {
    const topic = this.broker.topics.get(name);
    if (!topic) return;
    const gone = [...topic.partitions].filter(([number]) => !record.partitions.some((p) => p.number === number));
    if (gone.length === 0) return;
    const {host, store} = this.broker;
    for (const [number, log] of gone) {
      topic.partitions.delete(number);
      host.removeGroup(log.pid);
      this.broker.topics.byPid.delete(log.pid);
      this.src.queues.dropViews(log);
      this.quiet.delete(log.pid);
    }
    store.transaction(() => {
      for (const [, log] of gone) store.dropPartition(log.pid);
    });
    for (const [, log] of gone) log.waiters.wake();
    this.broker.logger.info({topic: name, partitions: gone.map(([n]) => n)}, 'partition replica dropped: the partition was removed');
  }

  /**
   * For unkeyed produce: a load function when the topic is autoscaled and at its limit (traffic then goes to the
   * least-loaded partition), undefined otherwise (plain round robin).
   */
  leastLoaded(topic: Topic): ((partition: number) => number | undefined) | undefined {
    const a = topic.record.config.autoscale;
    if (!a || this.canGrow(topic.record, a)) return undefined;
    return (p) => {
      const log = topic.partitions.get(p);
      return log ? quickLoad(this.src, log) : undefined;
    };
  }

  /** Within max_partitions and the brokers' configured budget (memory and CPU estimates, never measured). */
  canGrow(record: TopicRecord, a: AutoscaleConfig): boolean {
    if (record.partitions.length >= a.maxPartitions) return false;
    const cfg = this.broker.config;
    const brokers = Math.max(1, this.broker.metadata.state.brokers.size);
    let memory = 0;
    let cpu = 0;
    for (const t of this.broker.metadata.state.topics.values()) {
      const b = t.config.autoscale?.partitionBudget;
      if (!b) continue;
      const replicas = t.partitions.length * t.config.replicationFactor;
      memory += replicas * b.memoryBytes;
      cpu += replicas * b.cpu;
    }
    const rf = record.config.replicationFactor;
    return memory + rf * a.partitionBudget.memoryBytes <= cfg.autoscaleMemoryBytes * brokers && cpu + rf * a.partitionBudget.cpu <= cfg.autoscaleCpu * brokers + 1e-9;
  }

  async tick(): Promise<void> {
    if (this.busy || this.broker.isClosing) return;
    if (!this.broker.metadata.isLeader) {
      // a later leader starts its own idle clocks: removal waits a full idle_after_ms again, never less
      this.quiet.clear();
      this.lastCheck.clear();
      return;
    }
    this.busy = true;
    try {
      const now = this.broker.clock.monotonic();
      for (const record of [...this.broker.metadata.state.topics.values()]) {
        const a = record.config.autoscale;
        if (!a && !record.partitions.some((p) => p.autoscaled)) continue;
        const every = a?.checkIntervalMs ?? AUTOSCALE_DEFAULTS.checkIntervalMs;
        if (now - (this.lastCheck.get(record.name) ?? Number.NEGATIVE_INFINITY) < every) continue;
        this.lastCheck.set(record.name, now);
        await this.check(record, a, now);
      }
    } catch (err) {
      this.broker.logger.debug({err}, 'autoscaler check failed (will retry)');
    } finally {
      this.busy = false;
    }
  }

  private loads(record: TopicRecord): Map<number, PartitionLoad> {
    const out = new Map<number, PartitionLoad>();
    const topic = this.broker.topics.get(record.name);
    for (const p of record.partitions) {
      const log = topic?.partitions.get(p.number);
      if (log) out.set(p.number, partitionLoad(this.src, log));
    }
    return out;
  }

  private async check(record: TopicRecord, a: AutoscaleConfig | undefined, now: number): Promise<void> {
    const loads = this.loads(record);
    if (a) {
      const limit = a.highWater * a.maxLoad;
      const hot = [...loads.values()].filter((l) => !record.partitions.find((p) => p.number === l.partition)?.draining).sort((x, y) => y.load - x.load)[0];
      if (hot && hot.load > limit && this.canGrow(record, a)) {
        await this.propose({op: 'partition.add', topic: record.name, reason: `partition ${hot.partition} holds ${hot.load} unprocessed messages, over ${a.highWater} × max_load ${a.maxLoad}`, at: this.broker.clock.now()}, 'partition added');
        return;
      }
    }
    const idleAfter = a?.idleAfterMs ?? AUTOSCALE_DEFAULTS.idleAfterMs;
    for (const p of record.partitions) {
      if (!p.autoscaled) continue;
      const l = loads.get(p.number);
      // a partition held elsewhere only (more brokers than its replication factor) is not judged from here
      if (!l) continue;
      const q = this.quiet.get(p.pid);
      if (!l.finished || l.pending || (q && q.highWatermark !== l.highWatermark)) {
        this.quiet.delete(p.pid);
        if (l.finished && !l.pending) this.quiet.set(p.pid, {since: now, highWatermark: l.highWatermark});
        continue;
      }
      if (!q) {
        this.quiet.set(p.pid, {since: now, highWatermark: l.highWatermark});
        continue;
      }
      if (!p.draining) {
        if (now - q.since >= idleAfter) {
          const why = l.highWatermark === 0 ? 'empty' : 'fully acked';
          await this.propose({op: 'partition.drain', topic: record.name, partition: p.number, reason: `${why}, no lease or assignment, idle for ${idleAfter} ms`, at: this.broker.clock.now()}, 'partition draining');
        }
        continue;
      }
      // drained: removed at the next check that still finds it finished with nothing new (a produce routed before
      // the drain applied would show as a new high watermark or an entry not yet applied)
      if (q.drainedAt === undefined) {
        q.drainedAt = l.highWatermark;
        continue;
      }
      await this.propose({op: 'partition.remove', topic: record.name, partition: p.number, reason: `drained and finished at offset ${l.highWatermark}`, at: this.broker.clock.now()}, 'partition removed');
      this.quiet.delete(p.pid);
    }
  }

  private async propose(cmd: ElasticCommand, what: string): Promise<void> {
    const change = await this.broker.metadata.propose(cmd);
    const after = change.kind === 'topic' ? change.after : undefined;
    const partition = 'partition' in cmd ? cmd.partition : after && after.nextPartitionNumber - 1;
    this.broker.logger.info({topic: cmd.topic, partition, reason: cmd.reason, partitions: after?.partitions.length}, what);
  }
}
