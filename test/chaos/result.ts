import type {ClusterReport, ServedReport} from './checkers/cluster.js';
import type {GroupReport} from './checkers/groups.js';
import type {LogReport} from './checkers/log.js';
import type {QueueReport} from './checkers/queue.js';
import type {SseReport} from './checkers/sse.js';
import type {FsyncReport} from './faults/fsync.js';
import type {NemesisFigures} from './faults/nemesis.js';
import type {FaultKind} from './faults/schedule.js';
import type {ProcessFigures} from './lib/monitor.js';

export type Workload = 'log' | 'groups' | 'queue' | 'sse' | 'slow';
export type Unsafe = 'ack-leader-only' | 'no-dedup' | 'no-fsync';

export interface RunOptions {
  name: string;
  seed: number;
  durationMs: number;
  workloads: Workload[];
  faults: FaultKind[];
  faultMs: [number, number];
  gapMs: [number, number];
  warmupMs: number;
  quietMs: number;
  /** How long a killed broker stays down. */
  downMs: [number, number];
  brokers: number;
  partitions: number;
  appenders: number;
  readers: number;
  batch: number;
  pauseMs: number;
  route: 'any' | 'leader' | 'mixed';
  requestTimeoutMs: number;
  leaseMs: number;
  /** Queue messages carry a producer id, so receipts are written and checked. */
  receipts: boolean;
  unsafe: Unsafe[];
  /** Run every broker under strace and audit fsync-before-answer. */
  auditFsync: boolean;
  /** A positive control expects the checker to fail. */
  expect: 'pass' | 'fail';
  tmpfsBytes: number;
  convergeMs: number;
  drainMs: number;
  env: Record<string, string>;
  outDir: string;
  /** The command line that reproduces this run (for reports). */
  command: string;
  log?: (line: string) => void;
}

/** Raft timings of chaos runs: 50 ms ticks, elections after 500-1000 ms (as the cluster tests). */
export const CHAOS_TIMINGS = {MQ_RAFT_TICK_MS: '50', MQ_RAFT_ELECTION_TICKS: '10', MQ_RAFT_HEARTBEAT_TICKS: '2'};

export const DEFAULTS: Omit<RunOptions, 'name' | 'outDir' | 'command'> = {
  seed: 1,
  durationMs: 60_000,
  workloads: ['log'],
  faults: ['kill-leader'],
  faultMs: [2000, 6000],
  gapMs: [1000, 4000],
  warmupMs: 2000,
  quietMs: 2000,
  downMs: [500, 3000],
  brokers: 3,
  partitions: 2,
  appenders: 4,
  readers: 2,
  batch: 5,
  pauseMs: 5,
  route: 'mixed',
  requestTimeoutMs: 8000,
  leaseMs: 1500,
  receipts: true,
  unsafe: [],
  auditFsync: false,
  expect: 'pass',
  tmpfsBytes: 96 * 1024 * 1024,
  convergeMs: 30_000,
  drainMs: 30_000,
  env: CHAOS_TIMINGS,
};

export interface Reports {
  log: LogReport;
  cluster: ClusterReport;
  served: ServedReport;
  groups?: GroupReport;
  queue?: QueueReport;
  sse?: SseReport;
  fsync?: FsyncReport;
}

export interface RunFigures {
  converged: boolean;
  crashes: Array<{node: number; code: number | null; output: string}>;
  nemesis: NemesisFigures;
  process: ProcessFigures;
  wallMs: number;
  pending: number;
  /** Brokers not running (or not answering) once everything was healed: they never came back. */
  downAtEnd: number[];
}

/** The matrix columns: how much was acknowledged, and the counts that must be zero. */
export interface Counts {
  acknowledged: number;
  lost: number;
  duplicates: number;
  inconsistentOffsets: number;
  skips: number;
  stuck: number;
}

export interface RunResult {
  name: string;
  seed: number;
  command: string;
  expect: 'pass' | 'fail';
  /** Whether the checker found any anomaly. */
  anomalous: boolean;
  /** Whether the run came out as expected (no anomaly, or, for a positive control, at least one). */
  ok: boolean;
  counts: Counts;
  /** Every anomaly kind with a non-zero count. */
  anomalies: Record<string, number>;
  /** A few examples per anomaly kind, to start debugging from. */
  examples: Record<string, unknown[]>;
  figures: {
    leaderChanges: number;
    faults: number;
    failoverMsMax: number | null;
    failoverMsMedian: number | null;
    maxRssMb: number;
    loopP99Ms: number;
    streamQueuedBytesMax: number;
    converged: boolean;
    wallMs: number;
    unknownAppends: number;
    crashes: number;
    skippedFaults: string[];
    damage: string[];
  };
}

export function summarize(o: RunOptions, r: Reports, f: RunFigures): RunResult {
  const lists: Record<string, unknown[]> = {
    'log.lost': r.log.lost,
    'log.wrong-offset': r.log.wrongOffset,
    'log.offset-conflicts': r.log.offsetConflicts,
    'log.duplicates': r.log.duplicates,
    'log.real-time-order': r.log.orderViolations,
    'log.read-skips': r.log.readSkips,
    'log.non-monotonic-reads': r.log.nonMonotonicReads,
    'log.aborted-reads': r.log.abortedReads,
    'log.phantoms': r.log.phantoms,
    'log.corrupt-payloads': r.log.corruptPayloads,
    'log.minority-acks': r.log.minorityAcks,
    'log.final-read-incomplete': r.log.complete ? [] : ['the committed log could not be read at the end'],
    'cluster.leader-conflicts': r.cluster.leaderConflicts,
    'cluster.ack-term-mismatch': r.cluster.ackTermMismatch,
    'cluster.commit-regressions': r.cluster.commitRegressions,
    'cluster.hw-regressions': r.cluster.hwRegressions,
    'cluster.replica-divergence': r.cluster.replicaDivergence,
    'cluster.lagging-replicas': r.cluster.laggingReplicas,
    'served.corrupt': r.served.corruptServed,
    'served.unservable': r.served.unservable,
    'cluster.not-converged': f.converged ? [] : ['the replicas did not reach one high watermark with a leader after the heal'],
    'brokers.not-recovered': f.downAtEnd.map((node) => ({node})),
    'brokers.crashed': f.crashes.map((c) => ({node: c.node, code: c.code, output: c.output.slice(-600)})),
    ...(r.groups
      ? {'groups.commit-regressions': r.groups.commitRegressions, 'groups.lost-commits': r.groups.lostCommits, 'groups.resume-skips': r.groups.resumeSkips, 'groups.never-delivered': r.groups.neverDelivered}
      : {}),
    ...(r.queue
      ? {
          'queue.stuck': r.queue.stuck,
          'queue.two-terminal-states': r.queue.twoTerminalStates,
          'queue.delivery-after-ack': r.queue.deliveryAfterAck,
          'queue.lease-overlaps': r.queue.leaseOverlaps,
          'queue.stale-confirms': r.queue.staleConfirms,
          'queue.bad-dead-letters': r.queue.badDeadLetters,
          'queue.receipts': r.queue.receiptProblems,
        }
      : {}),
    ...(r.sse ? {'sse.gaps': r.sse.gaps, 'sse.duplicates': r.sse.duplicates, 'sse.wrong': r.sse.wrong} : {}),
    ...(r.fsync ? {'fsync.violations': r.fsync.violations} : {}),
  };
  const anomalies: Record<string, number> = {};
  const examples: Record<string, unknown[]> = {};
  for (const [k, v] of Object.entries(lists)) {
    if (v.length === 0) continue;
    anomalies[k] = v.length;
    examples[k] = v.slice(0, 5);
  }
  const n = (k: string): number => anomalies[k] ?? 0;
  const counts: Counts = {
    acknowledged: r.log.acknowledged,
    lost: n('log.lost') + n('log.minority-acks') + n('groups.lost-commits'),
    duplicates: n('log.duplicates') + n('sse.duplicates') + n('queue.two-terminal-states'),
    inconsistentOffsets: n('log.wrong-offset') + n('log.offset-conflicts') + n('cluster.replica-divergence') + n('served.corrupt'),
    skips: n('log.read-skips') + n('log.non-monotonic-reads') + n('groups.resume-skips') + n('groups.never-delivered') + n('sse.gaps'),
    stuck: n('queue.stuck'),
  };
  const anomalous = Object.keys(anomalies).length > 0;
  const fo = [...f.nemesis.failoverMs].sort((a, b) => a - b);
  return {
    name: o.name,
    seed: o.seed,
    command: o.command,
    expect: o.expect,
    anomalous,
    ok: o.expect === 'pass' ? !anomalous : anomalous,
    counts,
    anomalies,
    examples,
    figures: {
      leaderChanges: r.cluster.leaderChanges,
      faults: f.nemesis.faults,
      failoverMsMax: fo.length > 0 ? fo[fo.length - 1]! : null,
      failoverMsMedian: fo.length > 0 ? fo[Math.floor((fo.length - 1) / 2)]! : null,
      maxRssMb: Math.round(f.process.maxRssBytes / 1024 / 1024),
      loopP99Ms: Math.round(f.process.loopP99Ms * 10) / 10,
      streamQueuedBytesMax: f.process.streamQueuedBytesMax,
      converged: f.converged,
      wallMs: f.wallMs,
      unknownAppends: r.log.unknownAppends,
      crashes: f.crashes.length,
      skippedFaults: f.nemesis.skipped,
      damage: f.nemesis.damage,
    },
  };
}
