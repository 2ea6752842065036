import {pair, type Completed, type Op} from '../lib/history.js';
import type {CommittedRes, GroupCommitReq, GroupFetchRes} from '../lib/model.js';

/**
 * Stream consumer groups: committed offsets never go back, a committed offset survives every fault, and a member
 * that takes over a partition (after a rebalance, a restart or a failover) resumes at or before the committed
 * offset, so nothing below the final committed offset was never delivered. Operations: `g-fetch` (answer
 * GroupFetchRes), `g-commit` (request GroupCommitReq, answer CommittedRes), `g-committed` (a describe; CommittedRes).
 */
export interface GroupReport {
  /** An observation of a partition's committed offset lower than one completed before it was asked. */
  commitRegressions: Array<{partition: number; before: number; after: number | null}>;
  /** A commit acknowledged with an offset the final committed offset is below. */
  lostCommits: Array<{partition: number; acked: number; final: number | null}>;
  /** A member started a partition past both its own position and every commit sent before. */
  resumeSkips: Array<{member: string; partition: number; first: number; allowed: number}>;
  /** Offsets below the final committed offset that no member was ever given. */
  neverDelivered: Array<{partition: number; offset: number}>;
  /** Figures: messages delivered (with redeliveries), commits acknowledged. */
  delivered: number;
  commits: number;
}

export function checkGroups(ops: readonly Op[], final: CommittedRes | undefined): GroupReport {
  const done = pair(ops);
  const fetches = done.filter((c) => c.f === 'g-fetch' && c.type === 'ok') as Array<Completed<{member: string}, GroupFetchRes>>;
  const commits = done.filter((c) => c.f === 'g-commit') as Array<Completed<GroupCommitReq, CommittedRes | undefined>>;
  const described = done.filter((c) => c.f === 'g-committed' && c.type === 'ok') as Array<Completed<unknown, CommittedRes>>;

  // every completed observation of committed offsets, by completion time
  const seen: Array<{start: number; end: number; partition: number; offset: number | null}> = [];
  for (const c of [...commits.filter((x) => x.type === 'ok' && x.res), ...described]) {
    for (const o of c.res!.committed) seen.push({start: c.start, end: c.end, partition: o.partition, offset: o.offset});
  }
  const commitRegressions: GroupReport['commitRegressions'] = [];
  const completedBy = prefixMax(seen.filter((s) => s.offset !== null).map((s) => ({t: s.end, partition: s.partition, offset: s.offset!})));
  for (const b of seen) {
    const before = completedBy(b.partition, b.start, false);
    if (before >= 0 && (b.offset === null || b.offset < before)) commitRegressions.push({partition: b.partition, before, after: b.offset});
  }

  const finalOf = (p: number): number | null => final?.committed.find((c) => c.partition === p)?.offset ?? null;
  const lostCommits: GroupReport['lostCommits'] = [];
  let acked = 0;
  for (const c of commits) {
    if (c.type !== 'ok' || !c.res) continue;
    acked++;
    for (const o of c.res.committed) {
      if (o.offset === null || !final) continue;
      const f = finalOf(o.partition);
      if (f === null || f < o.offset) lostCommits.push({partition: o.partition, acked: o.offset, final: f});
    }
  }

  // commits that may have taken effect by time t: any invoked before t (their answers may be lost)
  const invokedBy = prefixMax(commits.flatMap((c) => c.req.offsets.map((o) => ({t: c.start, partition: o.partition, offset: o.offset}))));
  const maxCommitBefore = (p: number, t: number): number => Math.max(0, invokedBy(p, t, false));
  const position = new Map<string, number>();
  const delivered = new Map<number, Set<number>>();
  const resumeSkips: GroupReport['resumeSkips'] = [];
  let count = 0;
  for (const f of [...fetches].sort((a, b) => a.end - b.end)) {
    const firsts = new Map<number, number>();
    for (const m of f.res.messages) {
      count++;
      (delivered.get(m.partition) ?? delivered.set(m.partition, new Set()).get(m.partition)!).add(m.offset);
      if (!firsts.has(m.partition)) firsts.set(m.partition, m.offset);
    }
    for (const [p, first] of firsts) {
      const k = `${f.res.member}/${p}`;
      const allowed = Math.max(position.get(k) ?? 0, maxCommitBefore(p, f.end));
      if (first > allowed) resumeSkips.push({member: f.res.member, partition: p, first, allowed});
    }
    for (const m of f.res.messages) position.set(`${f.res.member}/${m.partition}`, m.offset + 1);
  }

  const neverDelivered: GroupReport['neverDelivered'] = [];
  for (const c of final?.committed ?? []) {
    const got = delivered.get(c.partition) ?? new Set<number>();
    for (let o = 0; o < (c.offset ?? 0); o++) if (!got.has(o)) neverDelivered.push({partition: c.partition, offset: o});
  }
  return {commitRegressions, lostCommits, resumeSkips, neverDelivered, delivered: count, commits: acked};
}

/**
 * The highest offset among events of a partition strictly before time t (or at t with `inclusive`), -1 if none:
 * per partition, events sorted by time with a running maximum, found by binary search.
 */
function prefixMax(events: ReadonlyArray<{t: number; partition: number; offset: number}>): (partition: number, t: number, inclusive: boolean) => number {
  const byPartition = new Map<number, {ts: number[]; max: number[]}>();
  for (const e of [...events].sort((a, b) => a.t - b.t)) {
    const s = byPartition.get(e.partition) ?? byPartition.set(e.partition, {ts: [], max: []}).get(e.partition)!;
    s.ts.push(e.t);
    s.max.push(Math.max(e.offset, s.max[s.max.length - 1] ?? -1));
  }
  return (partition, t, inclusive) => {
    const s = byPartition.get(partition);
    if (!s) return -1;
    let lo = 0;
    let hi = s.ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s.ts[mid]! < t || (inclusive && s.ts[mid] === t)) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? -1 : s.max[lo - 1]!;
  };
}
