import {afterEach, describe, expect, it} from 'vitest';
import {awaitOutcomes, placePurchases, purchases} from '../../examples/flash-sale/src/buyers.js';
import {product} from '../../examples/flash-sale/src/db.js';
import {waitFor} from '../helpers/broker.js';
import {sagaOf, startFlashSale, type FlashSale} from './flash-sale-harness.js';

const P = 'sneaker-42';
let sale: FlashSale | undefined;

afterEach(async () => {
  await sale?.stop();
  sale = undefined;
});

const HAPPY_PATH = ['PurchaseRequested', 'InventoryReserved', 'OrderCreated', 'PaymentSucceeded', 'OrderConfirmed'];

/**
 * A real saga worker process is frozen at a checkpoint between two steps of a handler (FLASH_PAUSE_AT), SIGKILLed
 * there, and a new process is started: the event it had not acked comes back from the log once its lease runs out,
 * and the saga completes exactly once.
 */
describe('examples/flash-sale - a saga worker killed mid-saga resumes from the log', () => {
  it('killed after reserving stock, before publishing InventoryReserved and acking: reserved once, order completes', async () => {
    sale = await startFlashSale({product: P, stock: 3, leaseMs: 1500});
    const first = sale.spawnWorker({FLASH_PAUSE_AT: 'inventory:committed'});
    await first.line(/^saga worker/, 'the worker to start');
    const [order] = purchases(P, ['buyer-1'], {run: 'crash-a'});
    await placePurchases(sale.broker.client, [order!]);
    await first.line(/^paused at inventory:committed$/, 'the pause after reserving');
    await first.kill('SIGKILL');

    // the reservation is committed in SQLite, but nothing downstream happened and the request was not acked
    expect(product(sale.db, P)).toMatchObject({stock: 2, reserved: 1});
    expect(await sagaOf(sale.broker, order!.orderId)).toEqual([expect.objectContaining({type: 'PurchaseRequested'})]);

    const second = sale.spawnWorker();
    const trail = (await awaitOutcomes({url: sale.broker.url, orderIds: [order!.orderId]})).get(order!.orderId)!;
    expect(trail.steps).toEqual(HAPPY_PATH);
    // the new process got the unacked request again and answered it from processed_events instead of reserving again
    await second.line(/PurchaseRequested -> InventoryReserved \(delivery 2\)$/, 'the redelivered request');
    await waitFor(() => product(sale!.db, P)!.sold === 1, {timeoutMs: 60_000, what: 'the sale to be recorded'});
    expect(product(sale.db, P)).toMatchObject({stock: 2, reserved: 0, sold: 1});
    expect(sale.db.prepare('SELECT COUNT(*) FROM charges WHERE order_id = ?').pluck().get(order!.orderId)).toBe(1);
    // InventoryReserved was published after the restart only (its re-publish has the same id): once in the log
    expect((await sagaOf(sale.broker, order!.orderId)).map((e) => e.type)).toEqual(HAPPY_PATH);
  }, 120_000);

  it('killed after the card was charged, before the payment was recorded: charged once, order confirmed', async () => {
    sale = await startFlashSale({product: P, stock: 3, leaseMs: 1500});
    const first = sale.spawnWorker({FLASH_PAUSE_AT: 'payments:charged'});
    await first.line(/^saga worker/, 'the worker to start');
    const [order] = purchases(P, ['buyer-1'], {run: 'crash-b'});
    await placePurchases(sale.broker.client, [order!]);
    await first.line(/^paused at payments:charged$/, 'the pause after charging');
    await first.kill('SIGKILL');

    const charges = (): unknown[] => sale!.db.prepare('SELECT order_id, amount, status FROM charges').all();
    const calls = (): number => sale!.db.prepare('SELECT COUNT(*) FROM gateway_calls WHERE order_id = ?').pluck().get(order!.orderId) as number;
    expect(charges()).toEqual([{order_id: order!.orderId, amount: 120, status: 'succeeded'}]);
    expect(calls()).toBe(1);
    expect(sale.db.prepare('SELECT status FROM orders WHERE id = ?').pluck().get(order!.orderId)).toBe('PENDING');

    const second = sale.spawnWorker();
    const trail = (await awaitOutcomes({url: sale.broker.url, orderIds: [order!.orderId]})).get(order!.orderId)!;
    expect(trail.steps).toEqual(HAPPY_PATH);
    await second.line(/OrderCreated -> PaymentSucceeded \(delivery 2\)$/, 'the redelivered OrderCreated');
    // the gateway was asked twice (the crash made the event come back) and charged once (its idempotency key)
    expect(calls()).toBe(2);
    expect(charges()).toEqual([{order_id: order!.orderId, amount: 120, status: 'succeeded'}]);
    await waitFor(() => product(sale!.db, P)!.sold === 1, {timeoutMs: 60_000, what: 'the sale to be recorded'});
    expect(product(sale.db, P)).toMatchObject({stock: 2, reserved: 0, sold: 1});
    expect(sale.db.prepare('SELECT status FROM orders WHERE id = ?').pluck().get(order!.orderId)).toBe('CONFIRMED');
    expect((await sagaOf(sale.broker, order!.orderId)).map((e) => e.type)).toEqual(HAPPY_PATH);
  }, 120_000);
});
