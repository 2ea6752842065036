import {afterEach, describe, expect, it} from 'vitest';
import {awaitOutcomes, placePurchases, purchases} from '../../examples/flash-sale/src/buyers.js';
import {product} from '../../examples/flash-sale/src/db.js';
import {DEAD_LETTER_TOPIC, SAGA_TOPIC} from '../../examples/flash-sale/src/events.js';
import {startSagaWorkers, type SagaWorkers} from '../../examples/flash-sale/src/saga-workers.js';
import {waitFor} from '../helpers/broker.js';
import {runMq} from '../helpers/process.js';
import {readTopic, startFlashSale, type FlashSale} from './flash-sale-harness.js';

const P = 'sneaker-42';
let sale: FlashSale | undefined;
let inProcess: SagaWorkers | undefined;

afterEach(async () => {
  await inProcess?.stop();
  inProcess = undefined;
  await sale?.stop();
  sale = undefined;
});

function count(sql: string, ...params: unknown[]): number {
  return sale!.db.prepare(sql).pluck().get(...params) as number;
}

/** Inventory turns a confirmed order's reservation into a sale after the buyer already saw the confirmation. */
async function settled(productId: string): Promise<void> {
  await waitFor(() => product(sale!.db, productId)!.reserved === 0 && count("SELECT COUNT(*) FROM reservations WHERE status = 'reserved'") === 0, {
    timeoutMs: 60_000,
    what: 'every reservation committed or released',
  });
}

describe('examples/flash-sale - the order saga of seed 001 on mq', () => {
  it('10 buyers race for 9 in stock across two worker processes: 9 confirmed, 1 rejected, stock 0, never oversold', async () => {
    sale = await startFlashSale({product: P, stock: 9, leaseMs: 2000});
    // two saga worker processes (the seed's two app servers) share each service's queue group
    const a = sale.spawnWorker();
    const b = sale.spawnWorker();
    await Promise.all([a.line(/^saga worker/, 'worker a to start'), b.line(/^saga worker/, 'worker b to start')]);

    const list = purchases(P, Array.from({length: 10}, (_, i) => `buyer-${i + 1}`), {run: 'race'});
    await placePurchases(sale.broker.client, list);
    const trails = await awaitOutcomes({url: sale.broker.url, orderIds: list.map((p) => p.orderId)});
    await settled(P);

    const outcomes = [...trails.values()].map((t) => t.outcome.type).sort();
    expect(outcomes).toEqual([...Array<string>(9).fill('OrderConfirmed'), 'OrderRejected']);
    const rejected = [...trails.values()].find((t) => t.outcome.type === 'OrderRejected')!;
    expect(rejected.steps).toEqual(['PurchaseRequested', 'PurchaseRejected', 'OrderRejected']);
    expect(rejected.outcome).toMatchObject({reason: 'out of stock'});

    expect(product(sale.db, P)).toMatchObject({stock: 0, reserved: 0, sold: 9});
    // never oversold: units held or sold never exceed the 9 put on sale (stock >= 0 is also a CHECK constraint)
    expect(count("SELECT COALESCE(SUM(qty), 0) FROM reservations WHERE status != 'released'")).toBe(9);
    expect(count("SELECT COUNT(*) FROM orders WHERE status = 'CONFIRMED'")).toBe(9);
    expect(count("SELECT COUNT(*) FROM orders WHERE status = 'REJECTED'")).toBe(1);
    expect(count("SELECT COUNT(*) FROM charges WHERE status = 'succeeded'")).toBe(9);
    // one charge per confirmed order, and none for the rejected one
    expect(count("SELECT COUNT(*) FROM orders o JOIN charges c ON c.order_id = o.id WHERE o.status = 'CONFIRMED'")).toBe(9);
    expect(count('SELECT COUNT(*) FROM charges WHERE order_id = ?', rejected.outcome.orderId)).toBe(0);
  }, 120_000);

  it('a declined payment is compensated: the reservation is released, the order cancelled, the unit sold to the next buyer', async () => {
    sale = await startFlashSale({product: P, stock: 1, leaseMs: 2000});
    inProcess = startSagaWorkers({url: sale.broker.url, dbPath: sale.dbPath});

    const [declined] = purchases(P, ['buyer-declined'], {decline: new Set(['buyer-declined']), run: 'b1'});
    await placePurchases(sale.broker.client, [declined!]);
    const first = (await awaitOutcomes({url: sale.broker.url, orderIds: [declined!.orderId]})).get(declined!.orderId)!;
    expect(first.steps).toEqual(['PurchaseRequested', 'InventoryReserved', 'OrderCreated', 'PaymentFailed', 'ReservationReleased', 'OrderCancelled']);
    expect(first.outcome).toMatchObject({type: 'OrderCancelled', reason: 'card declined'});
    await settled(P);
    expect(product(sale.db, P)).toMatchObject({stock: 1, reserved: 0, sold: 0});
    expect(sale.db.prepare('SELECT status FROM reservations WHERE order_id = ?').pluck().get(declined!.orderId)).toBe('released');
    expect(sale.db.prepare('SELECT status FROM orders WHERE id = ?').pluck().get(declined!.orderId)).toBe('CANCELLED');
    expect(count("SELECT COUNT(*) FROM charges WHERE status = 'succeeded'")).toBe(0);

    // the stock the compensation gave back is really available again
    const [next] = purchases(P, ['buyer-next'], {run: 'b2'});
    await placePurchases(sale.broker.client, [next!]);
    const second = (await awaitOutcomes({url: sale.broker.url, orderIds: [next!.orderId]})).get(next!.orderId)!;
    expect(second.outcome.type).toBe('OrderConfirmed');
    await settled(P);
    expect(product(sale.db, P)).toMatchObject({stock: 0, reserved: 0, sold: 1});
  }, 120_000);

  it('poison events end in the dead-letter topic after max deliveries, visible with mq dlq, and do not block the line', async () => {
    sale = await startFlashSale({product: P, stock: 5, leaseMs: 2000, maxDeliveries: 2});
    inProcess = startSagaWorkers({url: sale.broker.url, dbPath: sale.dbPath, nackDelayMs: 50});
    const client = sale.broker.client;

    // a malformed OrderCreated is poison for payments only (the other services do not consume OrderCreated)...
    await client.produceOne(SAGA_TOPIC, {key: P, id: 'poison-order-created', value: {type: 'OrderCreated', orderId: 'o-poison', productId: P, amount: 'free'}});
    // ...a value that is no saga event at all is poison for every service
    await client.produceOne(SAGA_TOPIC, {key: P, id: 'poison-garbage', value: 'hello'});
    const [good] = purchases(P, ['buyer-after-poison'], {run: 'd'});
    await placePurchases(client, [good!]);

    const trail = (await awaitOutcomes({url: sale.broker.url, orderIds: [good!.orderId]})).get(good!.orderId)!;
    expect(trail.outcome.type).toBe('OrderConfirmed');

    const dead = (await waitFor(
      async () => {
        const messages = await readTopic(sale!.broker, DEAD_LETTER_TOPIC);
        return messages.length >= 4 ? messages : undefined;
      },
      {timeoutMs: 60_000, what: 'four dead letters'},
    ))!;
    const byOriginal = dead.map((m) => `${m.headers!['mq-dlq-original-id']} ${m.headers!['mq-dlq-group']} ${m.headers!['mq-dlq-deliveries']}`).sort();
    expect(byOriginal).toEqual([
      'poison-garbage flash-inventory 2',
      'poison-garbage flash-orders 2',
      'poison-garbage flash-payments 2',
      'poison-order-created flash-payments 2',
    ]);
    // the worker's nack carries the reason; if the broker refused that nack (UNAVAILABLE), the lease ran out instead
    for (const m of dead) expect(m.headers!['mq-dlq-error']).toMatch(/^not a saga event: |^lease expired$/);
    expect(dead.some((m) => m.headers!['mq-dlq-error']!.startsWith('not a saga event: '))).toBe(true);
    expect(count('SELECT COUNT(*) FROM charges WHERE order_id = ?', 'o-poison')).toBe(0);

    const listed = await runMq(['dlq', 'list', SAGA_TOPIC, '--url', sale.broker.url, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.trim().split('\n').map((l) => JSON.parse(l) as {original_id: string; group: string; deliveries: number});
    expect(lines.map((l) => `${l.original_id} ${l.group} ${l.deliveries}`).sort()).toEqual(byOriginal);
  }, 120_000);
});
