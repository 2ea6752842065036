import type {Db} from './db.js';
import {eventId, type EventOf, type SagaEvent} from './events.js';
import {processOnce} from './idempotent.js';
import type {Service} from './service.js';

/**
 * Inventory: reserves stock for a purchase request, releases it when the payment fails (the compensation), and
 * turns the reservation into a sale once the order is confirmed. The seed's Redis Lua script (check available +
 * INCR reserved) is one conditional UPDATE here: it changes no row when the stock is short, whoever races it.
 */
export function inventoryService(db: Db): Service {
  const reserve = db.prepare('UPDATE products SET stock = stock - @qty, reserved = reserved + @qty WHERE id = @productId AND stock >= @qty');
  const price = db.prepare('SELECT price FROM products WHERE id = ?').pluck();
  const hold = db.prepare("INSERT INTO reservations (order_id, product_id, qty, status) VALUES (?, ?, ?, 'reserved')");
  const settle = db.prepare("UPDATE reservations SET status = ? WHERE order_id = ? AND status = 'reserved' RETURNING product_id, qty");
  const sell = db.prepare('UPDATE products SET reserved = reserved - ?, sold = sold + ? WHERE id = ?');
  const restock = db.prepare('UPDATE products SET reserved = reserved - ?, stock = stock + ? WHERE id = ?');

  const onPurchase = (e: EventOf<'PurchaseRequested'>): SagaEvent[] => {
    const unitPrice = price.get(e.productId) as number | undefined;
    const rejected = (reason: string): SagaEvent[] => [{type: 'PurchaseRejected', orderId: e.orderId, productId: e.productId, buyer: e.buyer, reason}];
    if (unitPrice === undefined) return rejected('no such product');
    if (reserve.run({qty: e.qty, productId: e.productId}).changes === 0) return rejected('out of stock');
    hold.run(e.orderId, e.productId, e.qty);
    return [{type: 'InventoryReserved', orderId: e.orderId, productId: e.productId, buyer: e.buyer, qty: e.qty, amount: unitPrice * e.qty, paymentMethod: e.paymentMethod}];
  };

  return {
    name: 'inventory',
    handles: {
      PurchaseRequested: (e) => processOnce(db, 'inventory', eventId(e), () => onPurchase(e)),
      PaymentFailed: (e) =>
        processOnce(db, 'inventory', eventId(e), () => {
          const r = settle.get('released', e.orderId) as {product_id: string; qty: number} | undefined;
          if (r) restock.run(r.qty, r.qty, r.product_id);
          return [{type: 'ReservationReleased', orderId: e.orderId, productId: e.productId, reason: e.reason}];
        }),
      OrderConfirmed: (e) =>
        processOnce(db, 'inventory', eventId(e), () => {
          const r = settle.get('committed', e.orderId) as {product_id: string; qty: number} | undefined;
          if (r) sell.run(r.qty, r.qty, r.product_id);
          return [];
        }),
    },
  };
}
