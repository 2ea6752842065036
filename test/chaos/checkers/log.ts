import {pair, type Completed, type Op} from '../lib/history.js';
import type {AppendReq, AppendRes, FinalLog, ReadReq, ReadRes} from '../lib/model.js';

/**
 * The log checker: what an append-only log with ids must never do, judged from the client history and the final
 * state of every replica. Appends are `append` operations, reads `read` operations (see lib/model.ts).
 */
export interface LogReport {
  /** Distinct ids acknowledged (first answers and duplicate answers). */
  acknowledged: number;
  /** Acknowledged ids found nowhere in the final committed log. */
  lost: string[];
  /** Acknowledged at an offset that does not hold them, although they are elsewhere ("ack offsets truthful"). */
  wrongOffset: Array<{id: string; acked: string; found: string[]}>;
  /** Two different messages reported at one offset (by acks, reads or the final log). */
  offsetConflicts: Array<{at: string; ids: string[]}>;
  /** Ids stored at more than one position in the final committed log. */
  duplicates: Array<{id: string; at: string[]}>;
  /** A acknowledged before B was sent, same partition, yet B got the lower offset. */
  orderViolations: Array<{first: string; then: string}>;
  /** Reads that did not return a dense run starting where they asked. */
  readSkips: Array<{partition: number; from: number; got: number[]}>;
  /** Reads told that the committed log ends before an offset the same reader already read as committed. */
  nonMonotonicReads: Array<{reader: number; partition: number; seen: number; hw: number}>;
  /** Ids of writes refused with `written: false` that were read anyway. */
  abortedReads: string[];
  /** Ids read that no client ever sent. */
  phantoms: string[];
  /** Values read that differ from the bytes sent for that id. */
  corruptPayloads: Array<{id: string; at: string}>;
  /** Acknowledged messages held, committed, by fewer than a majority of replicas at the end. */
  minorityAcks: string[];
  /** Whether the final read reached every partition (if not, loss cannot be judged). */
  complete: boolean;
  /** Figures (not anomalies): appends whose outcome stayed unknown, refused appends, reads. */
  unknownAppends: number;
  refusedAppends: number;
  reads: number;
}

const at = (p: number, o: number): string => `${p}/${o}`;

export function checkLog(ops: readonly Op[], final: FinalLog): LogReport {
  const done = pair(ops);
  const appends = done.filter((c) => c.f === 'append') as Array<Completed<AppendReq, AppendRes | undefined>>;
  const reads = done.filter((c) => c.f === 'read') as Array<Completed<ReadReq, ReadRes | {hw?: number} | undefined>>;

  const sent = new Map<string, string>();
  const acked = new Map<string, Set<string>>();
  const refusedFalse = new Set<string>();
  const uncertain = new Set<string>();
  let unknownAppends = 0;
  let refusedAppends = 0;
  for (const a of appends) {
    for (const m of a.req.messages) sent.set(m.id, m.value);
    if (a.type === 'ok' && a.res) {
      for (const k of a.res.acks) (acked.get(k.id) ?? acked.set(k.id, new Set()).get(k.id)!).add(at(k.partition, k.offset));
      for (const r of a.res.refused) {
        if (r.written === false) (refusedFalse.add(r.id), refusedAppends++);
        else (uncertain.add(r.id), unknownAppends++);
      }
    } else if (a.type === 'fail') {
      for (const m of a.req.messages) refusedFalse.add(m.id);
      refusedAppends += a.req.messages.length;
    } else {
      for (const m of a.req.messages) uncertain.add(m.id);
      unknownAppends += a.req.messages.length;
    }
  }
  // a refusal is only certain for an id that no other attempt may have written
  for (const id of [...refusedFalse]) if (acked.has(id) || uncertain.has(id)) refusedFalse.delete(id);

  // the final committed log, by position and by id
  const finalAt = new Map<string, {id: string | null; value: string}>();
  const finalIds = new Map<string, string[]>();
  for (const [p, msgs] of final.committed) {
    for (const m of msgs) {
      finalAt.set(at(p, m.offset), {id: m.id, value: m.value});
      if (m.id !== null) (finalIds.get(m.id) ?? finalIds.set(m.id, []).get(m.id)!).push(at(p, m.offset));
    }
  }

  // every report of what an offset holds: acks, reads, the final log
  const claims = new Map<string, Set<string>>();
  const claim = (pos: string, id: string | null): void => void (claims.get(pos) ?? claims.set(pos, new Set()).get(pos)!).add(id ?? '<null>');
  for (const [id, positions] of acked) for (const pos of positions) claim(pos, id);
  for (const [pos, m] of finalAt) claim(pos, m.id);

  const corruptPayloads: LogReport['corruptPayloads'] = [];
  const phantoms = new Set<string>();
  const aborted = new Set<string>();
  const inspect = (pos: string, id: string | null, value: string): void => {
    if (id === null) return;
    const v = sent.get(id);
    if (v === undefined) phantoms.add(id);
    else if (v !== value) corruptPayloads.push({id, at: pos});
    if (refusedFalse.has(id)) aborted.add(id);
  };
  for (const [pos, m] of finalAt) inspect(pos, m.id, m.value);

  const readSkips: LogReport['readSkips'] = [];
  const nonMonotonicReads: LogReport['nonMonotonicReads'] = [];
  // per reader and partition, the highest offset its completed reads showed as committed, by completion time
  const seenCommitted = new Map<string, Array<{end: number; offset: number}>>();
  const session = (r: {req: ReadReq}): string => `${r.req.reader}/${r.req.partition}`;
  for (const r of reads) {
    if (r.type !== 'ok' || !r.res || !('messages' in r.res)) continue;
    const res = r.res;
    const offsets = res.messages.map((m) => m.offset);
    if (offsets.some((o, i) => o !== r.req.from + i) || (offsets.length > 0 && res.next !== offsets[offsets.length - 1]! + 1)) {
      readSkips.push({partition: r.req.partition, from: r.req.from, got: offsets.slice(0, 10)});
    }
    for (const m of res.messages) {
      claim(at(r.req.partition, m.offset), m.id);
      inspect(at(r.req.partition, m.offset), m.id, m.value);
    }
    if (offsets.length > 0) (seenCommitted.get(session(r)) ?? seenCommitted.set(session(r), []).get(session(r))!).push({end: r.end, offset: offsets[offsets.length - 1]!});
  }
  // monotonic reads (a session guarantee): a reader is never told the log ends before what it has already read
  for (const seen of seenCommitted.values()) seen.sort((a, b) => a.end - b.end);
  for (const r of reads) {
    const hw = r.type === 'ok' && r.res && 'messages' in r.res ? r.res.hw : r.type === 'fail' && r.res && typeof r.res.hw === 'number' ? r.res.hw : undefined;
    if (hw === undefined) continue;
    let max = -1;
    for (const s of seenCommitted.get(session(r)) ?? []) {
      if (s.end >= r.start) break;
      max = Math.max(max, s.offset);
    }
    if (max >= hw) nonMonotonicReads.push({reader: r.req.reader, partition: r.req.partition, seen: max, hw});
  }

  const offsetConflicts = [...claims].filter(([, ids]) => ids.size > 1).map(([pos, ids]) => ({at: pos, ids: [...ids].sort()}));
  const duplicates = [...finalIds].filter(([, ps]) => ps.length > 1).map(([id, ps]) => ({id, at: ps}));

  const lost: string[] = [];
  const wrongOffset: LogReport['wrongOffset'] = [];
  for (const [id, positions] of acked) {
    const found = finalIds.get(id);
    if (!found) {
      if (final.complete) lost.push(id);
      continue;
    }
    for (const pos of positions) if (!found.includes(pos)) wrongOffset.push({id, acked: pos, found});
  }

  return {
    acknowledged: acked.size,
    lost,
    wrongOffset,
    offsetConflicts,
    duplicates,
    orderViolations: realTimeOrder(appends),
    readSkips,
    nonMonotonicReads,
    abortedReads: [...aborted],
    phantoms: [...phantoms],
    corruptPayloads,
    minorityAcks: minorityAcks(acked, final),
    complete: final.complete,
    unknownAppends,
    refusedAppends,
    reads: reads.filter((r) => r.type === 'ok').length,
  };
}

/**
 * Appends respect real-time order: if A was acknowledged before B was sent, B's offset in the same partition is
 * higher. Only first attempts that were not answered as duplicates count (a retry's answer names the offset of an
 * earlier attempt). A sweep over invocation times keeps, per partition, the highest offset acknowledged so far.
 */
function realTimeOrder(appends: ReadonlyArray<Completed<AppendReq, AppendRes | undefined>>): LogReport['orderViolations'] {
  interface Item {
    id: string;
    p: number;
    off: number;
    start: number;
    end: number;
  }
  const items: Item[] = [];
  for (const a of appends) {
    if (a.type !== 'ok' || !a.res || a.req.retry) continue;
    for (const k of a.res.acks) if (!k.duplicate) items.push({id: k.id, p: k.partition, off: k.offset, start: a.start, end: a.end});
  }
  const byEnd = [...items].sort((a, b) => a.end - b.end);
  const byStart = [...items].sort((a, b) => a.start - b.start);
  const best = new Map<number, Item>();
  const out: LogReport['orderViolations'] = [];
  let i = 0;
  for (const b of byStart) {
    for (; i < byEnd.length && byEnd[i]!.end < b.start; i++) {
      const a = byEnd[i]!;
      const cur = best.get(a.p);
      if (!cur || a.off > cur.off) best.set(a.p, a);
    }
    const a = best.get(b.p);
    if (a && a.off > b.off) out.push({first: `${a.id}@${at(a.p, a.off)}`, then: `${b.id}@${at(b.p, b.off)}`});
  }
  return out;
}

/** Acknowledged messages that fewer than a majority of replicas hold, committed, at the acknowledged position. */
function minorityAcks(acked: ReadonlyMap<string, Set<string>>, final: FinalLog): string[] {
  if (!final.complete || final.replicas.length === 0) return [];
  const holders = new Map<string, number>();
  for (const r of final.replicas) for (const m of r.messages) if (m.committed && m.id !== null) holders.set(`${at(r.partition, m.offset)}#${m.id}`, (holders.get(`${at(r.partition, m.offset)}#${m.id}`) ?? 0) + 1);
  const majority = Math.floor(final.replicationFactor / 2) + 1;
  const out: string[] = [];
  for (const [id, positions] of acked) {
    const best = Math.max(...[...positions].map((pos) => holders.get(`${pos}#${id}`) ?? 0));
    if (best < majority) out.push(id);
  }
  return out;
}
