import {randomBytes} from 'node:crypto';
import {eventId, isOutcome, PAYMENT_DECLINED, PAYMENT_OK, SAGA_TOPIC, SagaEvent, type EventOf, type Outcome, type SagaEventType} from './events.js';
import {Consumer, type MqClient} from './mq.js';

export type Purchase = EventOf<'PurchaseRequested'>;

/** One purchase request per buyer; buyers in `decline` pay with a card the simulated gateway declines. */
export function purchases(productId: string, buyers: readonly string[], opts: {decline?: ReadonlySet<string>; run?: string} = {}): Purchase[] {
  const run = opts.run ?? randomBytes(3).toString('hex');
  return buyers.map((buyer) => ({
    type: 'PurchaseRequested',
    orderId: `${productId}-${buyer}-${run}`,
    productId,
    buyer,
    qty: 1,
    paymentMethod: opts.decline?.has(buyer) ? PAYMENT_DECLINED : PAYMENT_OK,
  }));
}

/**
 * Every buyer sends its request at once, each in its own HTTP request: the race of the seed. The event id makes a
 * buyer's retry (a double click, a timeout) the same message, and the key puts all of a product's events in one
 * partition, in the order the broker received them.
 */
export async function placePurchases(client: MqClient, list: readonly Purchase[]): Promise<void> {
  await Promise.all(list.map((p) => client.produceOne(SAGA_TOPIC, {key: p.productId, id: eventId(p), value: p})));
}

export interface SagaTrail {
  outcome: Outcome;
  /** The order's events in the order they were written. */
  steps: SagaEventType[];
}

/**
 * Reads the saga topic from the start until every order has an outcome (confirmed, rejected or cancelled): the
 * buyer's view, straight from the log. Gives up after timeoutMs naming the orders still open.
 */
export async function awaitOutcomes(opts: {url: string; token?: string; orderIds: readonly string[]; timeoutMs?: number}): Promise<Map<string, SagaTrail>> {
  const wanted = new Set(opts.orderIds);
  const steps = new Map<string, SagaEventType[]>();
  const done = new Map<string, SagaTrail>();
  const consumer = new Consumer({url: opts.url, token: opts.token, topics: SAGA_TOPIC, from: 'earliest', waitMs: 500});
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  try {
    while (done.size < wanted.size) {
      if (Date.now() > deadline) throw new Error(`no outcome yet for ${[...wanted].filter((o) => !done.has(o)).join(', ')}`);
      for (const m of await consumer.poll()) {
        const parsed = SagaEvent.safeParse(m.value);
        if (!parsed.success || !wanted.has(parsed.data.orderId)) continue; // other orders, or a poison event
        const e = parsed.data;
        const trail = steps.get(e.orderId) ?? [];
        trail.push(e.type);
        steps.set(e.orderId, trail);
        if (isOutcome(e)) done.set(e.orderId, {outcome: e, steps: trail});
      }
    }
  } finally {
    await consumer.close();
  }
  return done;
}
