import {describe, expect, it} from 'vitest';
import {HistoryBuilder} from '../lib/history.js';
import type {DeadLetter, FinalQueue, Receipt} from '../lib/model.js';
import {checkQueue} from './queue.js';

const enqueue = (ids: string[]): [unknown, unknown] => [
  {partition: 0, messages: ids.map((id) => ({id, value: '{}'}))},
  {acks: ids.map((id, offset) => ({id, partition: 0, offset})), refused: []},
];
const lease = (id: string, count: number, l = `L-${id}-${count}`): unknown => ({deliveries: [{id, partition: 0, offset: 0, lease: l, count}]});
const finalQ = (o: {dead?: DeadLetter[]; receipts?: Receipt[]; read?: boolean; backlog?: number} = {}): FinalQueue => ({deadLetters: o.dead ?? [], receipts: o.receipts ?? [], receiptsRead: o.read ?? true, backlog: o.backlog ?? 0, maxDeliveries: 3, producer: 'P', group: 'g'});
const processed = (id: string): Receipt => ({id, state: 'processed', group: 'g', cursor: 0});

function base(): HistoryBuilder {
  const [req, res] = enqueue(['a']);
  return new HistoryBuilder().op(9, 'enqueue', req, 0, 1, 'ok', res);
}

describe('chaos checker - work queues', () => {
  it('a clean history has no anomaly', () => {
    const h = base()
      .op(0, 'lease', {consumer: 'w', leaseMs: 1000}, 2, 3, 'ok', lease('a', 1))
      .op(0, 'nack', {lease: 'L-a-1', id: 'a'}, 4, 5, 'ok', {status: 'requeued'})
      .op(0, 'lease', {consumer: 'w', leaseMs: 1000}, 6, 7, 'ok', lease('a', 2))
      .op(0, 'ack', {lease: 'L-a-2', id: 'a'}, 8, 9, 'ok', {status: 'acked'})
      .build();
    expect(checkQueue(h, finalQ({receipts: [processed('a')]}))).toMatchObject({
      enqueued: 1, stuck: [], twoTerminalStates: [], deliveryAfterAck: [], leaseOverlaps: [], staleConfirms: [], badDeadLetters: [], receiptProblems: [], acked: 1, redeliveries: 1,
    });
  });

  it('every enqueue ends in a terminal state: stuck', () => {
    const h = base().op(0, 'lease', {consumer: 'w', leaseMs: 1000}, 2, 3, 'ok', lease('a', 1)).build();
    expect(checkQueue(h, finalQ()).stuck).toEqual(['a']);
  });

  it('exactly one terminal state: acked and dead-lettered', () => {
    const h = base().op(0, 'lease', {consumer: 'w', leaseMs: 1000}, 2, 3, 'ok', lease('a', 3)).op(0, 'ack', {lease: 'L-a-3', id: 'a'}, 4, 5, 'ok', {status: 'acked'}).build();
    const dead = [{id: 'a', dlqId: 'dlq/g/t/0/0', deliveries: 3, offset: 0}];
    expect(checkQueue(h, finalQ({dead, receipts: [processed('a'), {id: 'a', state: 'dead_lettered', group: 'g', cursor: 1}]})).twoTerminalStates).toEqual(['a']);
  });

  it('no delivery after an ack', () => {
    const h = base()
      .op(0, 'lease', {consumer: 'w', leaseMs: 100}, 2, 3, 'ok', lease('a', 1))
      .op(0, 'ack', {lease: 'L-a-1', id: 'a'}, 4, 5, 'ok', {status: 'acked'})
      .op(1, 'lease', {consumer: 'v', leaseMs: 100}, 500, 501, 'ok', lease('a', 2))
      .build();
    expect(checkQueue(h, finalQ({receipts: [processed('a')]})).deliveryAfterAck).toEqual([{id: 'a', lease: 'L-a-2'}]);
  });

  it('lease exclusivity: a second lease while the first certainly still ran', () => {
    const h = base().op(0, 'lease', {consumer: 'w', leaseMs: 1000}, 2, 3, 'ok', lease('a', 1)).op(1, 'lease', {consumer: 'v', leaseMs: 1000}, 400, 500, 'ok', lease('a', 2)).build();
    expect(checkQueue(h, finalQ()).leaseOverlaps).toEqual([{id: 'a', first: 'L-a-1', second: 'L-a-2', overlapMs: 502}]);
  });

  it('lease exclusivity counts progress: an extended lease redelivered early', () => {
    const h = base()
      .op(0, 'lease', {consumer: 'w', leaseMs: 1000}, 2, 3, 'ok', lease('a', 1))
      .op(0, 'progress', {lease: 'L-a-1', id: 'a', leaseMs: 1000}, 900, 901, 'ok', {status: 'extended'})
      .op(1, 'lease', {consumer: 'v', leaseMs: 1000}, 1100, 1200, 'ok', lease('a', 2))
      .build();
    expect(checkQueue(h, finalQ()).leaseOverlaps).toHaveLength(1);
  });

  it('lease exclusivity: a progress answered already_done, or sent after the redelivery, extends nothing', () => {
    const h = base()
      .op(0, 'lease', {consumer: 'w', leaseMs: 1000}, 2, 3, 'ok', lease('a', 1))
      .op(1, 'lease', {consumer: 'v', leaseMs: 1000}, 1100, 1200, 'ok', lease('a', 2))
      .op(1, 'ack', {lease: 'L-a-2', id: 'a'}, 1210, 1220, 'ok', {status: 'acked'})
      .op(0, 'progress', {lease: 'L-a-1', id: 'a', leaseMs: 1000}, 1300, 1301, 'ok', {status: 'already_done'})
      .op(0, 'progress', {lease: 'L-a-1', id: 'a', leaseMs: 1000}, 1150, 1250, 'ok', {status: 'extended'})
      .build();
    expect(checkQueue(h, finalQ()).leaseOverlaps).toEqual([]);
  });

  it('stale acks rejected: an ack with a superseded lease accepted', () => {
    const h = base()
      .op(0, 'lease', {consumer: 'w', leaseMs: 100}, 2, 3, 'ok', lease('a', 1))
      .op(1, 'lease', {consumer: 'v', leaseMs: 100}, 200, 201, 'ok', lease('a', 2))
      .op(0, 'ack', {lease: 'L-a-1', id: 'a'}, 300, 301, 'ok', {status: 'acked'})
      .build();
    expect(checkQueue(h, finalQ({receipts: [processed('a')]})).staleConfirms).toEqual([{id: 'a', lease: 'L-a-1', op: 'ack', status: 'acked'}]);
  });

  it('dead letters exactly once: two copies', () => {
    const dead = [1, 2].map((k) => ({id: 'a', dlqId: 'dlq/g/t/0/0', deliveries: 3, offset: k}));
    const r = checkQueue(base().build(), finalQ({dead, receipts: [{id: 'a', state: 'dead_lettered', group: 'g', cursor: 0}]}));
    expect(r.twoTerminalStates).toEqual(['a']);
  });

  it('dead letters only after max_deliveries', () => {
    const dead = [{id: 'a', dlqId: 'dlq/g/t/0/0', deliveries: 1, offset: 0}];
    expect(checkQueue(base().build(), finalQ({dead, receipts: [{id: 'a', state: 'dead_lettered', group: 'g', cursor: 0}]})).badDeadLetters).toHaveLength(1);
  });

  it('without receipts, an ack with a lost answer does not make a message stuck', () => {
    const h = base().op(0, 'lease', {consumer: 'w', leaseMs: 100}, 2, 3, 'ok', lease('a', 1)).op(0, 'ack', {lease: 'L-a-1', id: 'a'}, 4, 5, 'info').build();
    expect(checkQueue(h, finalQ({read: false}))).toMatchObject({stuck: [], receiptProblems: []});
    // with receipts: still held by the group, it is stuck; the group holds nothing, so its receipt is what is missing
    expect(checkQueue(h, finalQ({backlog: 1})).stuck).toEqual(['a']);
    expect(checkQueue(h, finalQ())).toMatchObject({stuck: [], receiptProblems: [{id: 'a', detail: 'ack answer lost, the group holds nothing, and no receipt'}]});
  });

  it('receipts delivered: acked without a processed receipt', () => {
    const h = base().op(0, 'lease', {consumer: 'w', leaseMs: 100}, 2, 3, 'ok', lease('a', 1)).op(0, 'ack', {lease: 'L-a-1', id: 'a'}, 4, 5, 'ok', {status: 'acked'}).build();
    expect(checkQueue(h, finalQ()).receiptProblems).toEqual([{id: 'a', detail: 'acked without a processed receipt'}]);
  });
});
