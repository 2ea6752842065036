import {describe, expect, it} from 'vitest';
import {History} from '../lib/history.js';
import type {ReadMessage} from '../lib/model.js';
import {checkSse} from './sse.js';

const v = (o: number): string => JSON.stringify({o});
const log = new Map<number, ReadMessage[]>([[0, [0, 1, 2, 3].map((offset) => ({offset, id: `m${offset}`, value: v(offset)}))]]);

/** One reader: connections (with the position each resumed from) and the offsets each received. */
function stream(conns: Array<{resume: string | null; offsets: number[]; refused?: boolean}>, mutate?: (o: number) => {id?: string; eventId?: string}): History {
  const h = new History();
  conns.forEach((c, conn) => {
    const p = h.process();
    h.invoke(p, 'sse-connect', {conn, lastEventId: c.resume});
    if (c.refused) return void h.complete(p, 'fail', {status: 416}, {code: 'OFFSET_OUT_OF_RANGE'});
    h.complete(p, 'ok', {status: 200});
    for (const offset of c.offsets) {
      const m = mutate?.(offset) ?? {};
      h.event('sse-event', {conn, partition: 0, offset, id: m.id ?? `m${offset}`, value: v(offset), eventId: m.eventId ?? `p0=${offset + 1}`});
    }
  });
  return h;
}

describe('chaos checker - SSE resume', () => {
  it('a clean resume across connections has no anomaly', () => {
    const r = checkSse(stream([{resume: null, offsets: [0, 1]}, {resume: 'p0=2', offsets: [2, 3]}]).ops, log, () => 0);
    expect(r).toMatchObject({gaps: [], duplicates: [], wrong: [], behind: 0, events: 4, reconnects: 1});
  });

  it('a gap across a resume', () => {
    const r = checkSse(stream([{resume: null, offsets: [0, 1]}, {resume: 'p0=2', offsets: [3]}]).ops, log, () => 0);
    expect(r.gaps).toEqual([{reader: 0, partition: 0, expected: 2, got: 3}]);
  });

  it('a duplicate across a resume', () => {
    const r = checkSse(stream([{resume: null, offsets: [0, 1]}, {resume: 'p0=2', offsets: [1, 2, 3]}]).ops, log, () => 0);
    expect(r.duplicates).toEqual([{reader: 0, partition: 0, expected: 2, got: 1}]);
  });

  it('a message that is not the log entry at its offset, or an event id that does not follow it', () => {
    const r = checkSse(stream([{resume: null, offsets: [0, 1, 2, 3]}], (o) => (o === 1 ? {id: 'other'} : o === 2 ? {eventId: 'p0=9'} : {})).ops, log, () => 0);
    expect(r.wrong.map((w) => w.offset)).toEqual([1, 2]);
  });

  it('counts a refused resume and what the reader never got', () => {
    const r = checkSse(stream([{resume: null, offsets: [0]}, {resume: 'p0=1', offsets: [], refused: true}]).ops, log, () => 0);
    expect(r).toMatchObject({refusedResumes: 1, behind: 3});
  });
});
