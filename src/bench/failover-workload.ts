import type {WorkloadResult} from './engine.js';
import {percentile, runFailover} from './failover.js';
import type {BenchOptions} from './options.js';

/**
 * The failover workload: three local broker processes under an acks=all produce load, `kills` leader kills
 * (src/bench/failover.ts). Reports the write-unavailability gap and the loss check.
 */
export async function runFailoverWorkload(o: BenchOptions, log: (line: string) => void, env: Record<string, string> = {}): Promise<WorkloadResult> {
  const r = await runFailover({kills: o.kills, env, concurrency: o.producers, log});
  const el = r.samples.map((s) => s.electionMs);
  const wr = r.samples.map((s) => s.writableMs);
  return {
    workload: 'failover',
    target: 'mq',
    targetDescription: `3 local mq broker processes, election timeout at most ${r.electionTimeoutMaxMs} ms, acks=all load of 10-message batches`,
    phases: [],
    failover: {
      kills: r.samples.length,
      election_p50_ms: percentile(el, 50),
      election_max_ms: el.length ? Math.max(...el) : 0,
      unavailable_p50_ms: percentile(wr, 50),
      unavailable_max_ms: wr.length ? Math.max(...wr) : 0,
      acked: r.acked,
      failed_requests: r.failedRequests,
      lost: r.report.lost.length,
      acked_twice: r.report.conflictingOffsets,
      duplicate_ids: r.report.duplicateIds,
      gaps: r.report.gaps,
      messages_read: r.report.messages,
    },
  };
}
