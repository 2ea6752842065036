import type {Broker} from '../broker/broker.js';
import {FORMAT_VERSION, VERSION} from '../version.js';

export const STATUS_SCHEMA_VERSION = 1;

export interface StatusExtras {
  url: string;
  connections: number;
  inflightRequests: number;
}

/** The /status model (docs/api.md): what `mq status` and `mq top` render. snake_case, versioned. */
export function buildStatus(broker: Broker, extras: StatusExtras) {
  const now = broker.clock.now();
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  const loop = broker.loopDelay.snapshot();
  const store = broker.store.stats();
  const commit = broker.commitStats();
  const topics = broker.topics.list().map((t) => {
    const parts = [...t.partitions.values()].map((log) => {
      const v = broker.partitionView(log);
      return {
        partition: v.partition,
        role: 'leader',
        leader: v.leader,
        term: v.term,
        replicas: [broker.nodeId],
        in_sync: [broker.nodeId],
        log_start_offset: v.logStart,
        high_watermark: v.highWatermark,
        commit_index: v.lastIndex,
        last_applied: v.lastIndex,
        messages: v.messages,
        bytes: v.bytes,
        messages_in: log.counters.messagesIn,
        bytes_in: log.counters.bytesIn,
        messages_out: log.counters.messagesOut,
        bytes_out: log.counters.bytesOut,
        duplicates: log.counters.duplicates,
        retention_deleted: log.counters.retentionDeleted,
        dedup_entries: log.dedup.size,
        dedup_evictions: log.dedup.evictions,
        waiting_fetches: log.waiters.size,
      };
    });
    return {
      name: t.record.name,
      partitions: parts,
      messages: parts.reduce((n, p) => n + p.messages, 0),
      bytes: parts.reduce((n, p) => n + p.bytes, 0),
      retention: t.record.config.retention,
    };
  });
  return {
    schema: STATUS_SCHEMA_VERSION,
    time: now,
    node: {
      id: broker.nodeId,
      version: VERSION,
      format_version: FORMAT_VERSION,
      url: extras.url,
      started_at: broker.startedAt,
      uptime_ms: now - broker.startedAt,
      state: broker.isClosing ? 'stopping' : 'serving',
    },
    cluster: {mode: 'single', brokers: [{id: broker.nodeId, url: extras.url, status: 'active'}], metadata_leader: broker.nodeId},
    topics,
    storage: {
      kind: broker.store.kind,
      journal_mode: store.journalMode,
      synchronous: store.synchronous,
      fsyncs: store.commits,
      wal_bytes: store.walBytes,
      db_bytes: store.dbBytes,
      group_commit: {flushes: commit.flushes, ops: commit.ops, max_ops_per_flush: commit.maxOpsPerFlush, pending: broker.pendingCommits},
    },
    connections: {open: extras.connections, inflight_requests: extras.inflightRequests},
    streams: {open: broker.streams.open, events: broker.streams.events, queued_bytes_max: broker.streams.queuedBytesMax},
    groups: broker.groups.admin.list().map((d) => {
      const rt = broker.groups.coordinator.runtimes.get(d.name);
      return {name: d.name, mode: d.mode, topics: d.topics, generation: rt?.generation ?? 0, members: rt?.members.size ?? 0, lag: broker.groups.admin.lag(d.name).reduce((n, l) => n + l.lag, 0)};
    }),
    process: {
      pid: process.pid,
      rss_bytes: mem.rss,
      heap_used_bytes: mem.heapUsed,
      heap_total_bytes: mem.heapTotal,
      cpu_user_us: cpu.user,
      cpu_system_us: cpu.system,
      event_loop_delay_p50_ms: round(loop.p50Ms),
      event_loop_delay_p99_ms: round(loop.p99Ms),
      event_loop_delay_max_ms: round(loop.maxMs),
    },
  };
}

export type StatusModel = ReturnType<typeof buildStatus>;

const round = (x: number): number => Math.round(x * 1000) / 1000;
