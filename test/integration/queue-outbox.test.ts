import {describe, expect, it} from 'vitest';
import type {Broker} from '../../src/broker/broker.js';
import type {QueueOp} from '../../src/broker/queue/queue-types.js';
import {Payload, encodeJson} from '../../src/cluster/codec.js';
import {MqError} from '../../src/errors.js';
import type {MqClient, WireQueueGroupDescription} from '../../src/index.js';
import {QueueStatus} from '../../src/storage/index.js';
import {ManualClock} from '../../src/util/clock.js';
import {useTestBrokers, waitFor, type TestBroker} from '../helpers/broker.js';

/**
 * Work-queue findings of the chaos suite (docs/reliability.md, findings 2, 6 and 9), each reproduced on a real
 * in-process broker by forcing the interleaving the chaos runs hit by chance.
 */
describe('work queues across failed writes and changes of leader', () => {
  const start = useTestBrokers();

  async function queue(c: MqClient, topic: string, group: string, extra: Record<string, unknown> = {}): Promise<void> {
    await c.createTopic({name: topic, partitions: 1});
    await c.createGroup({name: group, topics: [topic], mode: 'queue', ...extra});
  }

  const storedRow = (broker: Broker, topic: string, group: string, offset: number) => broker.store.listQueueRows(broker.partitionLog(topic, 0).pid, group).find((r) => r.offset === offset);

  it('writes the receipt of a committed ack even when the broker stops before writing it (finding 2)', async () => {
    // short Raft ticks: the ack waits a bounded time (a multiple of the election timeout) for its receipt
    const fast = {raftTickMs: 20};
    const b = await start(fast);
    await queue(b.client, 'jobs', 'w');
    await b.client.produceOne('jobs', {id: 'job-1', producer: 'P1', value: 1});
    const [m] = await b.client.lease('w', {waitMs: 2000});
    // the write to __receipts never happens on this run: as if the broker died right after the ack committed
    let attempts = 0;
    b.broker.queues.receipts.append = () => {
      attempts++;
      return Promise.reject(new MqError('UNAVAILABLE', 'the receipts partition is out of reach'));
    };
    await expect(b.client.ack('w', m!.lease_id)).resolves.toMatchObject([{status: 'acked'}]);
    expect(attempts).toBeGreaterThan(0);
    await b.stop();
    const again = await start({...fast, dataDir: b.dataDir});
    const page = await again.client.receipts('P1', {waitMs: 10_000});
    expect(page.receipts.map((r) => [r.id, r.state])).toEqual([['job-1', 'processed']]);
  });

  it('refuses an ack once its lease ran out though the expiry could not be written, and dead-letters once (finding 9)', async () => {
    const clock = new ManualClock();
    const b = await start({}, {clock});
    const c = b.client;
    await queue(c, 'pay', 'billing', {max_deliveries: 1, lease_ms: 1000});
    await c.produceOne('pay', {id: 'tx-1', producer: 'P1', value: 1});
    const [m] = await c.lease('billing', {waitMs: 2000});
    const group = b.broker.partitionLog('pay', 0).group;
    // the queue partition cannot write (a full disk refuses its proposals) when the lease runs out
    let refused = 0;
    group.proposalGate = () => {
      refused++;
      return new MqError('DISK_FULL', 'no space left (test)', undefined, false);
    };
    clock.advance(1500);
    await waitFor(() => refused > 0, {what: 'the expiry to be attempted'});
    group.proposalGate = undefined;
    // the lease ran out: the ack must lose, whether or not the expiry has been written yet
    const err = await c.ack('billing', m!.lease_id).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({code: 'LEASE_EXPIRED'});
    await waitFor(async () => (await c.describeTopic('pay.dlq').catch(() => undefined))?.messages === 1, {what: 'the dead letter'});
    const page = await c.receipts('P1', {waitMs: 5000});
    expect(page.receipts.map((r) => r.state)).toEqual(['dead_lettered']);
    expect(storedRow(b.broker, 'pay', 'billing', 0)?.status ?? 'below the floor').not.toBe(QueueStatus.Acked);
  });

  it('counts a dead letter as pending until its copy is written to the dead-letter topic', async () => {
    const b = await start();
    const c = b.client;
    await queue(c, 'mail', 'senders', {max_deliveries: 1});
    await c.produceOne('mail', {id: 'm-1', value: 1});
    // the dead-letter topic cannot be created yet: the copy waits in the partition's outbox
    const ensureTopic = b.broker.ensureTopic.bind(b.broker);
    let attempts = 0;
    b.broker.ensureTopic = () => {
      attempts++;
      return Promise.reject(new MqError('UNAVAILABLE', 'no metadata leader (test)'));
    };
    const [m] = await c.lease('senders', {waitMs: 2000});
    await c.nack('senders', m!.lease_id);
    await waitFor(() => attempts > 0, {what: 'a relay attempt'});
    const pending = (await c.describeGroup('senders')) as unknown as WireQueueGroupDescription;
    expect(pending.partitions[0]).toMatchObject({dead_letter_pending: 1, dead_lettered_since_start: 1});
    b.broker.ensureTopic = ensureTopic;
    await waitFor(async () => (await c.describeTopic('mail.dlq').catch(() => undefined))?.messages === 1, {what: 'the dead letter', timeoutMs: 15_000});
    const relayed = (await c.describeGroup('senders')) as unknown as WireQueueGroupDescription;
    expect(relayed.partitions[0]!.dead_letter_pending).toBe(0);
  });

  it('decides conflicting queue entries in the log: the first to apply wins, the second changes nothing (finding 9)', async () => {
    const b = await start();
    await queue(b.client, 'jobs', 'w', {lease_ms: 60_000});
    await b.client.produce('jobs', [{value: 1}, {value: 2}]);
    const [m] = await b.client.lease('w', {waitMs: 2000, maxMessages: 1});
    const log = b.broker.partitionLog('jobs', 0);
    const leased = storedRow(b.broker, 'jobs', 'w', 0)!;
    expect(leased).toMatchObject({status: QueueStatus.Leased, leaseId: m!.lease_id});
    // an ack and an expiry of the same lease both reach the log (a leader that lost track of the first, as when a
    // full disk leaves a write's outcome unknown): both commit, one must win
    const entry = (op: string, status: QueueStatus): Uint8Array => encodeJson(Payload.Queue, {g: 'w', op, floor: 0, rows: [{...leased, status, until: 1}]} satisfies QueueOp);
    await Promise.all([log.proposeQueueOp(entry('ack', QueueStatus.Acked)), log.proposeQueueOp(entry('dead', QueueStatus.Dead))]);
    const rows = b.broker.store.listQueueRows(log.pid, 'w');
    expect(rows.find((r) => r.offset === 0)?.status).toBe(QueueStatus.Acked);
    // a lease of a delivery someone else holds is left out too
    const [m2] = await b.client.lease('w', {waitMs: 2000, maxMessages: 1});
    const second = storedRow(b.broker, 'jobs', 'w', 1)!;
    await log.proposeQueueOp(encodeJson(Payload.Queue, {g: 'w', op: 'lease', floor: 0, rows: [{...second, leaseId: 'x-other'}]} satisfies QueueOp));
    expect(storedRow(b.broker, 'jobs', 'w', 1)).toMatchObject({leaseId: m2!.lease_id, deliveries: 1});
  });

  it('does not keep a view taken before a new leader applied its predecessors\' entries (finding 6)', async () => {
    const clock = new ManualClock();
    const b = await start({}, {clock});
    const c = b.client;
    await queue(c, 'jobs', 'w', {lease_ms: 1000});
    await c.produceOne('jobs', {value: 'once'});
    const [m] = await c.lease('w', {waitMs: 2000});
    const log = b.broker.partitionLog('jobs', 0);
    const leased = storedRow(b.broker, 'jobs', 'w', 0)!;
    // a new leader that has not yet applied an entry of its own term (so possibly not all that its predecessor
    // committed): what it reads now may miss committed changes
    const node = log.group.node;
    const real = node.status.bind(node);
    node.status = () => ({...real(), applied: 0});
    b.broker.queues.service.dropViews(log);
    await c.describeGroup('w');
    b.broker.queues.service.sweep('w');
    // the predecessor's ack of the lease, committed before this broker led, is applied now
    await log.proposeQueueOp(encodeJson(Payload.Queue, {g: 'w', op: 'ack', floor: 1, rows: [{...leased, status: QueueStatus.Acked}]} satisfies QueueOp));
    node.status = real;
    clock.advance(1500);
    // acked: never delivered again, even after the lease it had would have run out
    expect(await c.lease('w')).toEqual([]);
    expect(m!.delivery_count).toBe(1);
  });
});
