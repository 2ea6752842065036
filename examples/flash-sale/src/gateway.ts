import type {Db} from './db.js';
import {PAYMENT_DECLINED} from './events.js';

export interface ChargeRequest {
  /** The idempotency key: a second request for the same order returns the first one's result. */
  orderId: string;
  amount: number;
  paymentMethod: string;
}

export interface Charge {
  id: number;
  orderId: string;
  amount: number;
  status: 'succeeded' | 'declined';
}

/**
 * A simulated card processor. It stands for an external API, so it is deliberately outside the payment service's
 * transaction: what keeps a retried call from charging twice is the idempotency key (the order id, UNIQUE in
 * charges), exactly as with a real processor. `pm_card_declined` is declined; every call is logged in gateway_calls
 * so a test can see a retry happen.
 */
export class PaymentGateway {
  private readonly existing;
  private readonly insert;
  private readonly logCall;

  constructor(private readonly db: Db) {
    this.existing = db.prepare('SELECT id, order_id AS orderId, amount, status FROM charges WHERE order_id = ?');
    this.insert = db.prepare('INSERT INTO charges (order_id, amount, status) VALUES (?, ?, ?) RETURNING id, order_id AS orderId, amount, status');
    this.logCall = db.prepare('INSERT INTO gateway_calls (order_id) VALUES (?)');
  }

  async charge(req: ChargeRequest): Promise<Charge> {
    const run = this.db.transaction((): Charge => {
      this.logCall.run(req.orderId);
      const before = this.existing.get(req.orderId) as Charge | undefined;
      if (before) return before;
      return this.insert.get(req.orderId, req.amount, req.paymentMethod === PAYMENT_DECLINED ? 'declined' : 'succeeded') as Charge;
    });
    return run.immediate();
  }
}
