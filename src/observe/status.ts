import os from 'node:os';
import {authFor} from '../security/auth-service.js';
import type {Broker} from '../broker/broker.js';
import type {RaftStatus} from '../cluster/raft/index.js';
import {processProtocolRange} from '../cluster/transport/handshake.js';
import {upkeepFor} from '../ops/upkeep.js';
import type {RetentionStats, StoreStats} from '../storage/index.js';
import {FORMAT_VERSION, VERSION} from '../version.js';
import {observerFor, sumRates} from './observer.js';
import {autoscaleStatus} from './status-autoscale.js';
import {groupsStatus} from './status-groups.js';
import {STATUS_SCHEMA_VERSION, type PartitionStatus, type RetentionStatus, type SpaceStatus, type StatusModel, type TopicStatus} from './status-model.js';

export {STATUS_SCHEMA_VERSION, type StatusModel} from './status-model.js';

export interface StatusExtras {
  url: string;
  connections: number;
  inflightRequests: number;
}

/**
 * The replicas that hold everything committed, as the leader sees them (a replica more than a heartbeat's worth
 * behind is still in sync while it keeps up). A follower does not know: it reports the replicas unchanged.
 */
function inSync(st: RaftStatus, replicas: number[]): number[] {
  if (st.role !== 'leader' || !st.progress) return st.leader ? replicas : [];
  return replicas.filter((id) => id === st.id || (st.progress!.get(id)?.match ?? 0) >= st.commit);
}

function topicsStatus(broker: Broker): TopicStatus[] {
  const observer = observerFor(broker);
  return broker.topics.list().map((t) => {
    const parts: PartitionStatus[] = [...t.partitions.values()].map((log) => {
      const v = broker.partitionView(log);
      const st = log.group.node.status();
      const replicas = t.record.partitions.find((p) => p.number === log.number)?.replicas ?? [broker.nodeId];
      return {
        partition: v.partition,
        role: st.role === 'leader' ? 'leader' : 'follower',
        leader: st.leader || null,
        term: st.term,
        replicas,
        in_sync: inSync(st, replicas),
        commit_index: st.commit,
        last_applied: st.applied,
        log_start_offset: v.logStart,
        high_watermark: v.highWatermark,
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
        rates: observer.partitionRates(log),
      };
    });
    return {
      name: t.record.name,
      internal: t.record.name.startsWith('__'),
      partitions: parts,
      messages: parts.reduce((n, p) => n + p.messages, 0),
      bytes: parts.reduce((n, p) => n + p.bytes, 0),
      retention: t.record.config.retention,
      rates: sumRates(parts.map((p) => p.rates)),
      ...autoscaleStatus(t.record),
    };
  });
}

/**
 * The /status model (status-model.ts, docs/api.md): what `mq status`, `mq top` and /ui render. A single node
 * reports itself as the whole cluster; the shape already holds several brokers and partitions led elsewhere.
 */
export function buildStatus(broker: Broker, extras: StatusExtras): StatusModel {
  const observer = observerFor(broker);
  const now = broker.clock.now();
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  const loop = broker.loopDelay.snapshot();
  const store = broker.store.stats();
  const commit = broker.commitStats();
  const topics = topicsStatus(broker);
  const all = topics.flatMap((t) => t.partitions);
  const leaderless = all.filter((p) => p.leader === null).length;
  // only a partition's leader knows who is in sync
  const underReplicated = all.filter((p) => p.role === 'leader' && p.in_sync.length < p.replicas.length).length;
  const unreachable = broker.cluster.brokers().filter((b) => b.status === 'unreachable').length;
  const peers = new Map((broker.cluster.peers?.peers() ?? []).map((p) => [p.id, p]));
  const state = broker.isClosing ? 'stopping' : 'serving';
  const sum = (f: (p: PartitionStatus) => number): number => all.reduce((n, p) => n + f(p), 0);
  return {
    schema: STATUS_SCHEMA_VERSION,
    time: now,
    node: {
      id: broker.nodeId,
      role: 'broker',
      version: VERSION,
      format_version: FORMAT_VERSION,
      peer_protocol: {...processProtocolRange()},
      url: extras.url,
      addresses: {client: extras.url, peer: broker.cluster.peerUrl},
      hostname: os.hostname(),
      started_at: broker.startedAt,
      uptime_ms: now - broker.startedAt,
      state,
    },
    cluster: {
      mode: broker.clustered ? 'raft' : 'single',
      status: leaderless > 0 ? 'unavailable' : underReplicated > 0 || state !== 'serving' || unreachable > 0 ? 'degraded' : 'healthy',
      version: VERSION,
      metadata_leader: broker.metadata.leader || null,
      brokers: broker.cluster.brokers().map((b) => ({
        id: b.id,
        url: b.url ?? '',
        status: b.status === 'self' ? (state === 'serving' ? 'active' : 'stopping') : b.status === 'connected' ? 'active' : 'unreachable',
        role: !broker.clustered ? 'single' : b.id === broker.metadata.leader ? 'leader' : 'follower',
        version: b.version ?? VERSION,
        last_seen_ms_ago: b.lastSeenMsAgo,
        protocol: b.status === 'self' ? processProtocolRange().max : (peers.get(b.id)?.protocol ?? null),
      })),
      partitions: {total: all.length, leaderless, under_replicated: underReplicated},
    },
    topics,
    totals: {
      ...sumRates(topics.map((t) => t.rates)),
      messages_in: sum((p) => p.messages_in),
      bytes_in: sum((p) => p.bytes_in),
      messages_out: sum((p) => p.messages_out),
      bytes_out: sum((p) => p.bytes_out),
    },
    storage: {
      kind: broker.store.kind,
      journal_mode: store.journalMode,
      synchronous: store.synchronous,
      fsyncs: store.commits,
      wal_bytes: store.walBytes,
      db_bytes: store.dbBytes,
      group_commit: {flushes: commit.flushes, ops: commit.ops, max_ops_per_flush: commit.maxOpsPerFlush, pending: broker.pendingCommits},
      disk: upkeepFor(broker).disk(),
      retention: retentionStatus(store.retention),
      space: store.space ? spaceStatus(store.space) : null,
    },
    connections: {open: extras.connections, inflight_requests: extras.inflightRequests, status_streams: observer.statusStreams.size},
    streams: {open: broker.streams.open, events: broker.streams.events, queued_bytes_max: broker.streams.queuedBytesMax},
    groups: groupsStatus(broker),
    auth: authFor(broker).status(),
    process: {
      pid: process.pid,
      rss_bytes: mem.rss,
      heap_used_bytes: mem.heapUsed,
      heap_total_bytes: mem.heapTotal,
      cpu_user_us: cpu.user,
      cpu_system_us: cpu.system,
      cpu_percent: observer.cpuPercent(),
      event_loop_delay_p50_ms: round(loop.p50Ms),
      event_loop_delay_p99_ms: round(loop.p99Ms),
      event_loop_delay_max_ms: round(loop.maxMs),
    },
  };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

function retentionStatus(r: RetentionStats): RetentionStatus {
  return {passes: r.passes, messages_deleted: r.messages, bytes_deleted: r.bytes, delete_ms_total: round(r.ms), delete_ms_max: round(r.maxMs), last_at: r.lastAt || null};
}

function spaceStatus(s: NonNullable<StoreStats['space']>): SpaceStatus {
  return {page_bytes: s.pageBytes, pages: s.pages, free_pages: s.freePages, auto_vacuum: s.autoVacuum, reclaimed_pages: s.reclaimedPages};
}
