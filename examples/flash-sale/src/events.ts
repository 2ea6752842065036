import {z} from 'zod';

/** Every saga event goes to this one topic, keyed by product: a product's whole history is one partition, in order. */
export const SAGA_TOPIC = 'flash.saga';
/** Where the queue groups put events they gave up on (mq's default, `<topic>.dlq`; `mq dlq list flash.saga`). */
export const DEAD_LETTER_TOPIC = `${SAGA_TOPIC}.dlq`;

/** The payment methods the simulated gateway knows (like a card processor's test cards). */
export const PAYMENT_OK = 'pm_card_ok';
export const PAYMENT_DECLINED = 'pm_card_declined';

const id = z.string().min(1).max(200);
const base = {orderId: id, productId: id};

/** The saga's events. Each is written once per order, so `<orderId>/<type>` is a stable event id. */
export const SagaEvent = z.discriminatedUnion('type', [
  z.object({type: z.literal('PurchaseRequested'), ...base, buyer: id, qty: z.number().int().positive(), paymentMethod: id}),
  z.object({type: z.literal('InventoryReserved'), ...base, buyer: id, qty: z.number().int().positive(), amount: z.number().int().nonnegative(), paymentMethod: id}),
  z.object({type: z.literal('PurchaseRejected'), ...base, buyer: id, reason: z.string()}),
  z.object({type: z.literal('OrderCreated'), ...base, buyer: id, amount: z.number().int().nonnegative(), paymentMethod: id}),
  z.object({type: z.literal('PaymentSucceeded'), ...base, chargeId: z.number().int(), amount: z.number().int().nonnegative()}),
  z.object({type: z.literal('PaymentFailed'), ...base, reason: z.string()}),
  z.object({type: z.literal('OrderConfirmed'), ...base, buyer: id}),
  z.object({type: z.literal('ReservationReleased'), ...base, reason: z.string()}),
  z.object({type: z.literal('OrderCancelled'), ...base, buyer: id, reason: z.string()}),
  z.object({type: z.literal('OrderRejected'), ...base, buyer: id, reason: z.string()}),
]);
export type SagaEvent = z.infer<typeof SagaEvent>;
export type SagaEventType = SagaEvent['type'];
export type EventOf<T extends SagaEventType> = Extract<SagaEvent, {type: T}>;

/** The events that end a purchase, as the buyer sees it. */
export const OUTCOMES = ['OrderConfirmed', 'OrderRejected', 'OrderCancelled'] as const;
export type Outcome = EventOf<(typeof OUTCOMES)[number]>;

export function isOutcome(e: SagaEvent): e is Outcome {
  return (OUTCOMES as readonly string[]).includes(e.type);
}

/** Deterministic, so a re-publish after a crash is the same message (the broker answers it as a duplicate). */
export function eventId(e: SagaEvent): string {
  return `${e.orderId}/${e.type}`;
}

/** A value that is not a saga event: retrying cannot help, so it ends in the dead-letter topic. */
export class PoisonEventError extends Error {
  override name = 'PoisonEventError';
}

const Typed = z.object({type: z.enum(SagaEvent.options.map((o) => o.shape.type.value))});

/** The event's type, so a service can skip (and ack) types it does not handle without validating the rest. */
export function eventType(value: unknown): SagaEventType {
  return check(Typed, value).type;
}

export function parseEvent(value: unknown): SagaEvent {
  return check(SagaEvent, value);
}

function check<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new PoisonEventError(`not a saga event: ${issue ? `${issue.path.join('.') || '(value)'}: ${issue.message}` : 'invalid'}`);
}
