import {describe, expect, it} from 'vitest';
import {HistoryBuilder} from '../lib/history.js';
import type {FinalLog, ReadMessage} from '../lib/model.js';
import {checkLog} from './log.js';

const v = (id: string): string => JSON.stringify({id});

/** A final state whose committed log (partition 0) is the given ids at offsets 0..n-1, held by three replicas. */
function finalOf(ids: Array<string | [string, string]>, opts: {holders?: number; complete?: boolean} = {}): FinalLog {
  const msgs: ReadMessage[] = ids.map((x, offset) => (Array.isArray(x) ? {offset, id: x[0], value: x[1]} : {offset, id: x, value: v(x)}));
  const replica = (node: number): FinalLog['replicas'][number] => ({
    node,
    partition: 0,
    hw: msgs.length,
    logStart: 0,
    nextOffset: msgs.length,
    messages: msgs.map((m) => ({offset: m.offset, term: 1, id: m.id, crc: 7, committed: true})),
  });
  const holders = opts.holders ?? 3;
  return {committed: new Map([[0, msgs]]), replicas: [1, 2, 3].map((n) => (n <= holders ? replica(n) : {...replica(n), messages: []})), replicationFactor: 3, complete: opts.complete ?? true};
}

const append = (ids: string[], retry = false): {topic: string; partition: number; messages: Array<{id: string; value: string}>; retry?: boolean} => ({topic: 't', partition: 0, messages: ids.map((id) => ({id, value: v(id)})), ...(retry ? {retry} : {})});
const acks = (pairs: Array<[string, number]>, dup = false): {acks: unknown[]; refused: unknown[]} => ({acks: pairs.map(([id, offset]) => ({id, partition: 0, offset, term: 1, leader: 1, duplicate: dup})), refused: []});

describe('chaos checker - log', () => {
  it('a clean history has no anomaly', () => {
    const h = new HistoryBuilder()
      .op(0, 'append', append(['a']), 0, 10, 'ok', acks([['a', 0]]))
      .op(1, 'append', append(['b']), 11, 20, 'ok', acks([['b', 1]]))
      .op(2, 'read', {reader: 0, partition: 0, from: 0}, 21, 22, 'ok', {messages: [{offset: 0, id: 'a', value: v('a')}, {offset: 1, id: 'b', value: v('b')}], next: 2, hw: 2})
      .build();
    const r = checkLog(h, finalOf(['a', 'b']));
    expect(r).toMatchObject({acknowledged: 2, lost: [], wrongOffset: [], offsetConflicts: [], duplicates: [], orderViolations: [], readSkips: [], nonMonotonicReads: [], abortedReads: [], phantoms: [], corruptPayloads: [], minorityAcks: []});
  });

  it('lost: an acknowledged message missing from the final log', () => {
    const h = new HistoryBuilder().op(0, 'append', append(['a', 'b']), 0, 10, 'ok', acks([['a', 0], ['b', 1]])).build();
    expect(checkLog(h, finalOf(['a'])).lost).toEqual(['b']);
  });

  it('lost is not judged when the final read could not reach the log', () => {
    const h = new HistoryBuilder().op(0, 'append', append(['a']), 0, 10, 'ok', acks([['a', 0]])).build();
    expect(checkLog(h, finalOf([], {complete: false})).lost).toEqual([]);
  });

  it('ack offsets truthful: acknowledged at one offset, stored at another', () => {
    const h = new HistoryBuilder().op(0, 'append', append(['a']), 0, 10, 'ok', acks([['a', 1]])).build();
    expect(checkLog(h, finalOf(['x', 'y', 'a'])).wrongOffset).toEqual([{id: 'a', acked: '0/1', found: ['0/2']}]);
  });

  it('one message per offset: two acknowledgements of the same offset', () => {
    const h = new HistoryBuilder()
      .op(0, 'append', append(['a']), 0, 10, 'ok', acks([['a', 0]]))
      .op(1, 'append', append(['b']), 0, 10, 'ok', acks([['b', 0]]))
      .build();
    expect(checkLog(h, finalOf(['a'])).offsetConflicts).toEqual([{at: '0/0', ids: ['a', 'b']}]);
  });

  it('duplicates: one id stored twice', () => {
    const h = new HistoryBuilder().op(0, 'append', append(['a']), 0, 10, 'info').op(1, 'append', append(['a'], true), 20, 30, 'ok', acks([['a', 1]])).build();
    expect(checkLog(h, finalOf(['a', 'a'])).duplicates).toEqual([{id: 'a', at: ['0/0', '0/1']}]);
  });

  it('real-time order: B sent after A was acknowledged gets a lower offset', () => {
    const h = new HistoryBuilder()
      .op(0, 'append', append(['a']), 0, 10, 'ok', acks([['a', 1]]))
      .op(1, 'append', append(['b']), 20, 30, 'ok', acks([['b', 0]]))
      .build();
    expect(checkLog(h, finalOf(['b', 'a'])).orderViolations).toEqual([{first: 'a@0/1', then: 'b@0/0'}]);
  });

  it('real-time order does not apply to concurrent appends or to retries answered as duplicates', () => {
    const h = new HistoryBuilder()
      .op(0, 'append', append(['a']), 0, 10, 'ok', acks([['a', 1]]))
      .op(1, 'append', append(['b']), 5, 30, 'ok', acks([['b', 0]]))
      .op(2, 'append', append(['b'], true), 40, 50, 'ok', acks([['b', 0]], true))
      .build();
    expect(checkLog(h, finalOf(['b', 'a'])).orderViolations).toEqual([]);
  });

  it('read skips: a read that does not start where it asked, or has a hole', () => {
    const h = new HistoryBuilder()
      .op(0, 'read', {reader: 0, partition: 0, from: 0}, 0, 1, 'ok', {messages: [{offset: 0, id: 'a', value: v('a')}, {offset: 2, id: 'c', value: v('c')}], next: 3, hw: 3})
      .build();
    expect(checkLog(h, finalOf(['a', 'b', 'c'])).readSkips).toHaveLength(1);
  });

  it('monotonic reads: a reader told the log ends before what it has read', () => {
    const h = new HistoryBuilder()
      .op(0, 'read', {reader: 7, partition: 0, from: 0}, 0, 1, 'ok', {messages: [{offset: 0, id: 'a', value: v('a')}, {offset: 1, id: 'b', value: v('b')}], next: 2, hw: 2})
      .op(1, 'read', {reader: 7, partition: 0, from: 2}, 5, 6, 'fail', {hw: 1}, {code: 'OFFSET_OUT_OF_RANGE', written: false})
      .op(2, 'read', {reader: 8, partition: 0, from: 0}, 5, 6, 'ok', {messages: [{offset: 0, id: 'a', value: v('a')}], next: 1, hw: 1})
      .build();
    // reader 8's follower read is behind reader 7, which is allowed; reader 7's own 416 is not
    expect(checkLog(h, finalOf(['a', 'b'])).nonMonotonicReads).toEqual([{reader: 7, partition: 0, seen: 1, hw: 1}]);
  });

  it('aborted reads: a write refused with written:false is read', () => {
    const h = new HistoryBuilder()
      .op(0, 'append', append(['a']), 0, 10, 'fail', undefined, {code: 'UNAVAILABLE', written: false})
      .op(1, 'read', {reader: 0, partition: 0, from: 0}, 20, 21, 'ok', {messages: [{offset: 0, id: 'a', value: v('a')}], next: 1, hw: 1})
      .build();
    expect(checkLog(h, finalOf(['a'])).abortedReads).toEqual(['a']);
  });

  it('a refusal of one attempt is not certain when another attempt of the id may have written it', () => {
    const h = new HistoryBuilder()
      .op(0, 'append', append(['a']), 0, 10, 'info')
      .op(1, 'append', append(['a'], true), 20, 30, 'fail', undefined, {code: 'UNAVAILABLE', written: false})
      .build();
    expect(checkLog(h, finalOf(['a'])).abortedReads).toEqual([]);
  });

  it('payloads intact: a value that is not the bytes sent', () => {
    const h = new HistoryBuilder().op(0, 'append', append(['a']), 0, 10, 'ok', acks([['a', 0]])).build();
    expect(checkLog(h, finalOf([['a', '{"id":"b"}']])).corruptPayloads).toEqual([{id: 'a', at: '0/0'}]);
  });

  it('phantoms: an id nobody sent', () => {
    expect(checkLog(new HistoryBuilder().build(), finalOf(['ghost'])).phantoms).toEqual(['ghost']);
  });

  it('no acknowledgement from a minority: acknowledged, but held by one replica of three', () => {
    const h = new HistoryBuilder().op(0, 'append', append(['a']), 0, 10, 'ok', acks([['a', 0]])).build();
    expect(checkLog(h, finalOf(['a'], {holders: 1})).minorityAcks).toEqual(['a']);
  });
});
