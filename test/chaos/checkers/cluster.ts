import {pair, type Op} from '../lib/history.js';
import type {AppendReq, AppendRes, FinalLog, Observation, ReadMessage} from '../lib/model.js';

/**
 * Replication invariants: one leader per term, commit indexes and high watermarks that never go back, replicas that
 * agree on everything committed. Observations come from the monitor (`observe` operations: each broker's own view of
 * its replica through the debug read), from acknowledgements (which carry the term and leader that wrote them), and
 * from the final dump of every replica.
 */
export interface ClusterReport {
  /** (topic, partition, term) for which two different brokers were seen as leader by the brokers themselves. */
  leaderConflicts: Array<{topic: string; partition: number; term: number; leaders: number[]}>;
  /** Acknowledgements that name a (term, leader) the brokers' own views contradict: an untruthful ack. */
  ackTermMismatch: Array<{topic: string; partition: number; term: number; acked: number; observed: number[]; id: string}>;
  /** A broker's commit index for a partition went down while its process lived. */
  commitRegressions: Array<{node: number; topic: string; partition: number; from: number; to: number}>;
  /** A broker's high watermark for a partition went down, across restarts too (unless its data was wiped). */
  hwRegressions: Array<{node: number; topic: string; partition: number; from: number; to: number}>;
  /** Committed positions whose id, CRC or term differ between replicas, or that the API read does not match. */
  replicaDivergence: Array<{partition: number; offset: number; detail: string}>;
  /** Replicas whose committed prefix is shorter than the committed log at the end (did not catch up). */
  laggingReplicas: Array<{node: number; partition: number; hw: number; expected: number}>;
  /** Figures: distinct (partition, term) pairs with a leader, samples taken. */
  leaderChanges: number;
  observations: number;
}

export function checkCluster(ops: readonly Op[], final: FinalLog | undefined): ClusterReport {
  const done = pair(ops);
  const leaders = new Map<string, Set<number>>();
  const key = (topic: string, p: number, term: number): string => `${topic}\u0000${p}\u0000${term}`;
  const note = (k: string, leader: number | null | undefined): void => {
    if (!leader) return;
    (leaders.get(k) ?? leaders.set(k, new Set()).get(k)!).add(leader);
  };
  const obs = done.filter((c) => c.f === 'observe' && c.type === 'ok').map((c) => ({o: c.res as Observation, end: c.end}));
  for (const {o} of obs) {
    if (!o.term) continue;
    // a follower's belief about its term's leader counts too: a term has one leader, whoever is asked
    note(key(o.topic, o.partition, o.term), o.role === 'leader' ? o.node : o.leader);
  }
  const ackTermMismatch: ClusterReport['ackTermMismatch'] = [];
  for (const a of done) {
    if ((a.f !== 'append' && a.f !== 'enqueue') || a.type !== 'ok' || !a.res) continue;
    const topic = (a.req as AppendReq).topic;
    for (const k of (a.res as AppendRes).acks) {
      if (k.duplicate || !k.term || !k.leader) continue;
      const seen = leaders.get(key(topic, k.partition, k.term));
      if (seen && !seen.has(k.leader)) ackTermMismatch.push({topic, partition: k.partition, term: k.term, acked: k.leader, observed: [...seen], id: k.id});
    }
  }
  const leaderConflicts = [...leaders]
    .filter(([, s]) => s.size > 1)
    .map(([k, s]) => {
      const [topic, p, term] = k.split('\u0000');
      return {topic: topic!, partition: Number(p), term: Number(term), leaders: [...s].sort()};
    });

  const commitRegressions: ClusterReport['commitRegressions'] = [];
  const hwRegressions: ClusterReport['hwRegressions'] = [];
  // the commit index within one process (Raft keeps it in memory: a restart may begin lower), the high watermark
  // (what readers were served) across restarts too, unless the data directory was wiped
  const lastCommit = new Map<string, number>();
  const lastHw = new Map<string, number>();
  for (const {o} of obs.sort((a, b) => a.end - b.end)) {
    const kc = `${o.node}/${o.incarnation}/${o.life}/${o.topic}/${o.partition}`;
    const kh = `${o.node}/${o.incarnation}/${o.topic}/${o.partition}`;
    const pc = lastCommit.get(kc);
    const ph = lastHw.get(kh);
    if (pc !== undefined && o.commit < pc) commitRegressions.push({node: o.node, topic: o.topic, partition: o.partition, from: pc, to: o.commit});
    if (ph !== undefined && o.hw < ph) hwRegressions.push({node: o.node, topic: o.topic, partition: o.partition, from: ph, to: o.hw});
    lastCommit.set(kc, o.commit);
    lastHw.set(kh, o.hw);
  }

  const replicaDivergence: ClusterReport['replicaDivergence'] = [];
  const laggingReplicas: ClusterReport['laggingReplicas'] = [];
  if (final) {
    const partitions = new Set(final.replicas.map((r) => r.partition));
    for (const p of partitions) {
      const byOffset = new Map<number, Map<string, number[]>>();
      const reps = final.replicas.filter((r) => r.partition === p);
      for (const r of reps) {
        for (const m of r.messages) {
          if (!m.committed) continue;
          const sig = `${m.id}|${m.crc}|${m.term ?? '-'}`;
          const at = byOffset.get(m.offset) ?? byOffset.set(m.offset, new Map()).get(m.offset)!;
          (at.get(sig) ?? at.set(sig, []).get(sig)!).push(r.node);
        }
      }
      // terms are null once compacted on one replica and not another: compare id and CRC then
      for (const [offset, sigs] of byOffset) {
        const strict = new Set([...sigs.keys()].map((s) => s.split('|').slice(0, 2).join('|')));
        const terms = new Set([...sigs.keys()].map((s) => s.split('|')[2]).filter((t) => t !== '-'));
        if (strict.size > 1 || terms.size > 1) replicaDivergence.push({partition: p, offset, detail: [...sigs].map(([s, n]) => `${n.join(',')}:${s}`).join(' vs ')});
      }
      const api = final.committed.get(p) ?? [];
      for (const m of api) {
        const sigs = byOffset.get(m.offset);
        if (sigs && ![...sigs.keys()].some((s) => s.split('|')[0] === String(m.id))) replicaDivergence.push({partition: p, offset: m.offset, detail: `API read ${m.id}, replicas ${[...sigs.keys()].join(' / ')}`});
      }
      const expected = api.length > 0 ? api[api.length - 1]!.offset + 1 : 0;
      for (const r of reps) if (r.hw < expected) laggingReplicas.push({node: r.node, partition: p, hw: r.hw, expected});
    }
  }
  return {leaderConflicts, ackTermMismatch, commitRegressions, hwRegressions, replicaDivergence, laggingReplicas, leaderChanges: leaders.size, observations: obs.length};
}

/** What one broker served, reading its own committed prefix with forwarding off, at the end of a run. */
export interface ServedLog {
  node: number;
  partition: number;
  messages?: ReadMessage[];
  /** The error code when it could not serve it (DATA_CORRUPTED: damage found but not repaired). */
  error?: string;
}

export interface ServedReport {
  /** A broker served a message that differs from the committed log (it never may serve corrupt data). */
  corruptServed: Array<{node: number; partition: number; offset: number}>;
  /** A broker could not serve its committed prefix (damage detected, not repaired by re-syncing). */
  unservable: Array<{node: number; partition: number; error: string}>;
}

/** Each broker's own committed prefix must be the committed log, byte for byte: never corrupt, never refused. */
export function checkServed(served: readonly ServedLog[], committed: ReadonlyMap<number, readonly ReadMessage[]>): ServedReport {
  const out: ServedReport = {corruptServed: [], unservable: []};
  for (const s of served) {
    if (s.error !== undefined || !s.messages) {
      out.unservable.push({node: s.node, partition: s.partition, error: s.error ?? 'no answer'});
      continue;
    }
    const truth = new Map((committed.get(s.partition) ?? []).map((m) => [m.offset, m]));
    for (const m of s.messages) {
      const t = truth.get(m.offset);
      if (t && (t.id !== m.id || t.value !== m.value)) out.corruptServed.push({node: s.node, partition: s.partition, offset: m.offset});
    }
  }
  return out;
}
