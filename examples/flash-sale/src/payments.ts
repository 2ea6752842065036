import type {Db} from './db.js';
import {eventId, type SagaEvent} from './events.js';
import {PaymentGateway} from './gateway.js';
import {processedEvents, processOnce} from './idempotent.js';
import type {Service} from './service.js';

/**
 * Payments: charges the order through the gateway and reports the result. The charge is an external call, so it
 * cannot share the processed_events transaction; a crash between the two (the 'payments:charged' checkpoint) makes
 * the event come back, and the gateway's idempotency key (the order id) returns the first charge instead of making a
 * second one.
 */
export function paymentsService(db: Db, gateway = new PaymentGateway(db)): Service {
  return {
    name: 'payments',
    handles: {
      OrderCreated: async (e, ctx) => {
        const id = eventId(e);
        const done = processedEvents(db, 'payments', id);
        if (done) return done;
        const charge = await gateway.charge({orderId: e.orderId, amount: e.amount, paymentMethod: e.paymentMethod});
        await ctx.checkpoint('payments:charged');
        return processOnce(db, 'payments', id, (): SagaEvent[] =>
          charge.status === 'succeeded'
            ? [{type: 'PaymentSucceeded', orderId: e.orderId, productId: e.productId, chargeId: charge.id, amount: charge.amount}]
            : [{type: 'PaymentFailed', orderId: e.orderId, productId: e.productId, reason: 'card declined'}],
        );
      },
    },
  };
}
