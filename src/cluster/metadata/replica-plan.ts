import type {TopicRecord} from '../../broker/topic-config.js';

export interface Reassign {
  topic: string;
  partition: number;
  replicas: number[];
}

export interface PlanInput {
  topics: readonly TopicRecord[];
  /** Members that can hold replicas (not leaving, not given up on). */
  eligible: readonly number[];
  /** Every member (a topic's default replication factor follows their count). */
  members: number;
}

function desiredFactor(t: TopicRecord, members: number): number {
  // internal topics live on every broker (each serves group definitions and receipts from its own replica)
  if (t.name.startsWith('__')) return members;
  // records from before the flag existed were created with the default
  const byDefault = t.config.replicationDefault ?? true;
  return byDefault ? Math.min(3, members) : t.config.replicationFactor;
}

/** Replica counts per eligible broker, to place new replicas on the least-loaded. */
function loads(topics: readonly TopicRecord[], eligible: readonly number[]): Map<number, number> {
  const m = new Map(eligible.map((id) => [id, 0]));
  for (const t of topics) for (const p of t.partitions) for (const id of p.replicas) if (m.has(id)) m.set(id, m.get(id)! + 1);
  return m;
}

function leastLoaded(load: Map<number, number>, exclude: readonly number[]): number | undefined {
  let best: number | undefined;
  for (const [id, n] of load) if (!exclude.includes(id) && (best === undefined || n < load.get(best)! || (n === load.get(best)! && id < best))) best = id;
  return best;
}

/**
 * Keeps every partition at its replication factor on eligible brokers: replicas on brokers that are leaving or gone
 * are replaced, missing ones are added on the least-loaded brokers (the new replica goes last, so the preferred
 * leader only changes when it was the one replaced). Deterministic for a given input.
 */
export function planRepairs(input: PlanInput): Reassign[] {
  const out: Reassign[] = [];
  const load = loads(input.topics, input.eligible);
  for (const t of input.topics) {
    const want = Math.min(desiredFactor(t, input.members), input.eligible.length);
    for (const p of t.partitions) {
      const kept = p.replicas.filter((id) => input.eligible.includes(id));
      const next = [...kept];
      while (next.length < want) {
        const id = leastLoaded(load, next);
        if (id === undefined) break;
        next.push(id);
        load.set(id, load.get(id)! + 1);
      }
      if (next.length === 0) continue; // nowhere to put it: keep what there is
      const same = next.length === p.replicas.length && next.every((id, i) => id === p.replicas[i]);
      if (!same) out.push({topic: t.name, partition: p.number, replicas: next});
    }
  }
  return out;
}

/**
 * Spreads replicas and preferred leaders evenly (`mq cluster rebalance`, and after a broker joins): within each
 * topic, moves a replica from the most- to the least-loaded broker while that narrows the gap, then rotates each partition's
 * replica list so every broker is the preferred leader of about as many partitions. Returns the reassignments.
 */
export function planRebalance(input: PlanInput): Reassign[] {
  const placed = new Map<string, number[]>();
  const key = (t: string, n: number): string => `${t}\u0000${n}`;
  for (const t of input.topics) for (const p of t.partitions) placed.set(key(t.name, p.number), [...p.replicas]);
  // topic by topic (so each topic spreads over every broker, and with it the cluster's load)
  for (const t of input.topics) {
    const load = loads([t], input.eligible);
    for (let guard = 0; guard < 10_000; guard++) {
      const sorted = [...load].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
      const [hi, hiN] = sorted[0] ?? [0, 0];
      const [lo, loN] = sorted[sorted.length - 1] ?? [0, 0];
      if (hiN - loN <= 1) break;
      // a partition on the busiest broker that the idlest does not hold yet
      const entry = t.partitions.map((p) => placed.get(key(t.name, p.number))!).find((r) => r.includes(hi) && !r.includes(lo));
      if (!entry) break;
      entry.splice(entry.indexOf(hi), 1, lo);
      load.set(hi, hiN - 1);
      load.set(lo, loN + 1);
    }
  }
  const leads = new Map(input.eligible.map((id) => [id, 0]));
  const out: Reassign[] = [];
  for (const t of input.topics) {
    for (const p of t.partitions) {
      const r = placed.get(key(t.name, p.number))!;
      // the replica that leads fewest partitions so far goes first
      const first = [...r].sort((a, b) => (leads.get(a) ?? 0) - (leads.get(b) ?? 0) || a - b)[0];
      const next = first === undefined ? r : [first, ...r.filter((id) => id !== first)];
      if (first !== undefined) leads.set(first, (leads.get(first) ?? 0) + 1);
      const same = next.length === p.replicas.length && next.every((id, i) => id === p.replicas[i]);
      if (!same) out.push({topic: t.name, partition: p.number, replicas: next});
    }
  }
  return out;
}
