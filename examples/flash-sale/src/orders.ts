import type {Db} from './db.js';
import {eventId, type SagaEvent} from './events.js';
import {processOnce} from './idempotent.js';
import type {Service} from './service.js';

/**
 * Orders: creates the order once stock is reserved, records a rejected purchase, and moves a pending order to
 * CONFIRMED (payment went through) or CANCELLED (payment failed and the stock was given back). The status guard in
 * each UPDATE is the seed's optimistic check: an order leaves PENDING once.
 */
export function ordersService(db: Db): Service {
  const create = db.prepare("INSERT INTO orders (id, product_id, buyer, amount, status) VALUES (?, ?, ?, ?, 'PENDING')");
  const reject = db.prepare("INSERT INTO orders (id, product_id, buyer, status, reason) VALUES (?, ?, ?, 'REJECTED', ?)");
  const finish = db.prepare("UPDATE orders SET status = ?, reason = ? WHERE id = ? AND status = 'PENDING' RETURNING buyer");
  const buyerOf = db.prepare('SELECT buyer FROM orders WHERE id = ?').pluck();

  /** The order's buyer after moving it out of PENDING; an order that is not there yet is a transient error. */
  const close = (orderId: string, status: 'CONFIRMED' | 'CANCELLED', reason: string | null): string => {
    const row = finish.get(status, reason, orderId) as {buyer: string} | undefined;
    const buyer = row?.buyer ?? (buyerOf.get(orderId) as string | undefined);
    if (buyer === undefined) throw new Error(`order ${orderId} not found`);
    return buyer;
  };

  return {
    name: 'orders',
    handles: {
      InventoryReserved: (e) =>
        processOnce(db, 'orders', eventId(e), (): SagaEvent[] => {
          create.run(e.orderId, e.productId, e.buyer, e.amount);
          return [{type: 'OrderCreated', orderId: e.orderId, productId: e.productId, buyer: e.buyer, amount: e.amount, paymentMethod: e.paymentMethod}];
        }),
      PurchaseRejected: (e) =>
        processOnce(db, 'orders', eventId(e), (): SagaEvent[] => {
          reject.run(e.orderId, e.productId, e.buyer, e.reason);
          return [{type: 'OrderRejected', orderId: e.orderId, productId: e.productId, buyer: e.buyer, reason: e.reason}];
        }),
      PaymentSucceeded: (e) =>
        processOnce(db, 'orders', eventId(e), (): SagaEvent[] => [
          {type: 'OrderConfirmed', orderId: e.orderId, productId: e.productId, buyer: close(e.orderId, 'CONFIRMED', null)},
        ]),
      ReservationReleased: (e) =>
        processOnce(db, 'orders', eventId(e), (): SagaEvent[] => [
          {type: 'OrderCancelled', orderId: e.orderId, productId: e.productId, buyer: close(e.orderId, 'CANCELLED', e.reason), reason: e.reason},
        ]),
    },
  };
}
