import type {RunOptions} from './result.js';

/**
 * The fault matrix of docs/reliability.md: one row per fault (or family of faults) and workload, 60-120 s each,
 * run by hand with `npm run chaos -- --matrix` (each row's line is written into the document as it finishes, so an
 * interrupted run resumes with `--resume`). Positive controls expect the checker to fail.
 */
export interface MatrixRow {
  id: string;
  title: string;
  options: Partial<RunOptions>;
}

const S = 1000;

export const MATRIX: MatrixRow[] = [
  {id: 'kill-leader', title: 'kill -9 the leader (log, SSE resume)', options: {workloads: ['log', 'sse'], faults: ['kill-leader']}},
  {id: 'followers', title: 'kill -9 / SIGSTOP a follower (log, stream groups)', options: {workloads: ['log', 'groups'], faults: ['kill-follower', 'pause-follower']}},
  {id: 'kill-all', title: 'kill -9 every broker at once (log, work queue)', options: {workloads: ['log', 'queue'], faults: ['kill-all'], faultMs: [1000, 3000], gapMs: [3000, 6000]}},
  {id: 'zombie', title: 'zombie leader: SIGSTOP past the election timeout, clients pinned to it', options: {workloads: ['log'], faults: ['pause-leader'], route: 'leader'}},
  {id: 'isolate', title: 'leader isolated from its followers (reset / blackhole) (log, stream groups)', options: {workloads: ['log', 'groups'], faults: ['isolate-leader']}},
  {id: 'partitions', title: 'random partitions: one broker cut off, or a bridge (log, work queue)', options: {workloads: ['log', 'queue'], faults: ['partition-random']}},
  {id: 'oneway', title: 'one-way links: the leader cannot send, or cannot hear', options: {workloads: ['log'], faults: ['oneway-leader']}},
  {id: 'net-mix', title: 'peer delay + jitter, flaky peer links, a blackholed client link (log, SSE)', options: {workloads: ['log', 'sse'], faults: ['peer-delay', 'peer-flaky', 'client-blackhole']}},
  {id: 'client-cuts', title: 'client connections cut after the broker answered; clients retry (log, groups)', options: {workloads: ['log', 'groups'], faults: ['client-flaky']}},
  {id: 'queue-crash', title: 'work queue: worker crashes, leader kill / pause, follower kill', options: {workloads: ['queue'], faults: ['kill-leader', 'kill-follower', 'pause-leader']}},
  {id: 'clock', title: 'leader wall clock jumps ±10-60 min, then it is killed (log, work queue)', options: {workloads: ['log', 'queue'], faults: ['clock-jump']}},
  {id: 'slow-consumer', title: 'slow SSE readers and a follower kill (memory must stay bounded)', options: {workloads: ['slow', 'log', 'queue'], faults: ['kill-follower'], batch: 20}},
  {id: 'disk-full', title: 'the leader\'s disk fills up (96 MiB tmpfs), then frees (log, work queue)', options: {workloads: ['log', 'queue'], faults: ['disk-full'], faultMs: [4000, 8000]}},
  {id: 'bitflip', title: 'bit flips in a stopped follower\'s stored messages', options: {workloads: ['log'], faults: ['bitflip'], faultMs: [4000, 8000]}},
  {id: 'truncated-wal', title: 'a stopped follower\'s WAL cut in half', options: {workloads: ['log'], faults: ['truncate-wal'], faultMs: [4000, 8000]}},
  {id: 'wiped', title: 'a stopped follower\'s data directory wiped', options: {workloads: ['log'], faults: ['wipe'], faultMs: [4000, 8000]}},
  {id: 'pc-ack-leader-only', title: 'POSITIVE CONTROL --unsafe-ack-leader-only: leader cut off, then killed', options: {workloads: ['log'], faults: ['isolate-then-kill-leader'], unsafe: ['ack-leader-only'], route: 'leader', expect: 'fail'}},
  {id: 'pc-no-dedup', title: 'POSITIVE CONTROL --unsafe-no-dedup: client retries after cut connections', options: {workloads: ['log'], faults: ['client-flaky'], unsafe: ['no-dedup'], expect: 'fail'}},
  {id: 'fsync-audit', title: 'fsync audit under strace (fsync on: every ack after its fsync)', options: {workloads: ['log'], faults: [], auditFsync: true, route: 'leader', batch: 1, partitions: 1, appenders: 4, durationMs: 60 * S}},
  {id: 'pc-no-fsync', title: 'POSITIVE CONTROL --unsafe-no-fsync under strace', options: {workloads: ['log'], faults: [], auditFsync: true, route: 'leader', batch: 1, partitions: 1, appenders: 4, durationMs: 60 * S, unsafe: ['no-fsync'], expect: 'fail'}},
];

/** The CI smoke subset (test/chaos/smoke.test.ts): short runs of the same machinery, under 3 minutes in all. */
export const SMOKE: MatrixRow[] = [
  {id: 'smoke-leader-kill', title: 'leader kill', options: {workloads: ['log'], faults: ['kill-leader'], durationMs: 14 * S, faultMs: [1500, 2500], gapMs: [800, 1500], downMs: [300, 800]}},
  {id: 'smoke-zombie', title: 'zombie leader', options: {workloads: ['log'], faults: ['pause-leader'], route: 'leader', durationMs: 14 * S, faultMs: [2000, 3000], gapMs: [800, 1500]}},
  {id: 'smoke-isolation', title: 'isolated leader', options: {workloads: ['log', 'groups'], faults: ['isolate-leader'], durationMs: 14 * S, faultMs: [2000, 3000], gapMs: [800, 1500]}},
  {id: 'smoke-queue-crash', title: 'queue worker crashes and a leader kill', options: {workloads: ['queue'], faults: ['kill-leader'], durationMs: 14 * S, faultMs: [1500, 2500], gapMs: [800, 1500], downMs: [300, 800]}},
  {id: 'smoke-pc-ack-leader-only', title: 'positive control: --unsafe-ack-leader-only', options: {workloads: ['log'], faults: ['isolate-then-kill-leader'], unsafe: ['ack-leader-only'], route: 'leader', expect: 'fail', durationMs: 10 * S, faultMs: [1500, 2000], gapMs: [500, 1000], downMs: [300, 600]}},
];
