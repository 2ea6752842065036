import type {Op} from '../lib/history.js';
import type {ReadMessage, SseConnectReq, SseEvent} from '../lib/model.js';

/**
 * SSE streams resumed with Last-Event-ID across broker kills and cut connections: per partition, the messages a
 * reader receives over all its connections are every offset from the start, once each, in order, each the message
 * the log holds there. `sse-connect` operations carry the position resumed from; `sse-event` events carry messages.
 */
export interface SseReport {
  /** A message skipped: an offset arrived when an earlier one was due. */
  gaps: Array<{reader: number; partition: number; expected: number; got: number}>;
  /** A message received twice (an offset at or below one already received). */
  duplicates: Array<{reader: number; partition: number; expected: number; got: number}>;
  /** A message that is not the one the final log holds at that offset, or a position id that does not follow it. */
  wrong: Array<{reader: number; partition: number; offset: number; detail: string}>;
  /** Messages of the final log a reader had not received when it stopped (a figure: readers stop on a deadline). */
  behind: number;
  /** Figures. */
  events: number;
  reconnects: number;
  refusedResumes: number;
}

export function parsePositions(id: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const part of id.split(',')) {
    const m = /^p(\d+)=(\d+)$/.exec(part.trim());
    if (m) out.set(Number(m[1]), Number(m[2]));
  }
  return out;
}

export function checkSse(ops: readonly Op[], committed: ReadonlyMap<number, readonly ReadMessage[]>, readerOf: (conn: number) => number): SseReport {
  const report: SseReport = {gaps: [], duplicates: [], wrong: [], behind: 0, events: 0, reconnects: 0, refusedResumes: 0};
  const next = new Map<string, number>();
  const readers = new Set<number>();
  const finalAt = new Map<string, ReadMessage>();
  for (const [p, msgs] of committed) for (const m of msgs) finalAt.set(`${p}/${m.offset}`, m);
  for (const op of ops) {
    if (op.f === 'sse-connect' && op.type === 'invoke') {
      const req = op.value as SseConnectReq;
      if (req.lastEventId !== null) report.reconnects++;
      continue;
    }
    if (op.f === 'sse-connect' && op.type === 'fail') report.refusedResumes++;
    if (op.f !== 'sse-event' || op.type !== 'invoke') continue;
    const e = op.value as SseEvent;
    const reader = readerOf(e.conn);
    readers.add(reader);
    report.events++;
    const k = `${reader}/${e.partition}`;
    const expected = next.get(k) ?? 0;
    if (e.offset > expected) report.gaps.push({reader, partition: e.partition, expected, got: e.offset});
    if (e.offset < expected) report.duplicates.push({reader, partition: e.partition, expected, got: e.offset});
    next.set(k, Math.max(expected, e.offset + 1));
    const f = finalAt.get(`${e.partition}/${e.offset}`);
    if (!f) report.wrong.push({reader, partition: e.partition, offset: e.offset, detail: 'not in the final committed log'});
    else if (f.id !== e.id || f.value !== e.value) report.wrong.push({reader, partition: e.partition, offset: e.offset, detail: `got ${e.id}, the log holds ${f.id}`});
    if (parsePositions(e.eventId).get(e.partition) !== e.offset + 1) report.wrong.push({reader, partition: e.partition, offset: e.offset, detail: `event id ${e.eventId} does not follow it`});
  }
  for (const r of readers) {
    for (const [p, msgs] of committed) {
      const end = msgs.length > 0 ? msgs[msgs.length - 1]!.offset + 1 : 0;
      report.behind += Math.max(0, end - (next.get(`${r}/${p}`) ?? 0));
    }
  }
  return report;
}
