import {openDb} from './db.js';
import {eventId, eventType, parseEvent, SAGA_TOPIC, type SagaEvent} from './events.js';
import {inventoryService} from './inventory.js';
import {Producer, Worker, type WireDelivery} from './mq.js';
import {ordersService} from './orders.js';
import {paymentsService} from './payments.js';
import {dispatch, SERVICES, type Service, type ServiceName, type StepContext} from './service.js';
import {GROUPS} from './topology.js';

export interface SagaWorkersOptions {
  url: string;
  token?: string;
  dbPath: string;
  /** Which services this process runs (default all three: one process is one of the seed's app servers). */
  services?: readonly ServiceName[];
  /**
   * Events each service handles at once (default 1). With 1 and one process, a product's events are applied in the
   * order they were written; more (or more processes) is faster, and the conditional UPDATE still never oversells.
   */
  concurrency?: number;
  /** How long a failed event waits before it is delivered again (default 1 s). */
  nackDelayMs?: number;
  /** Stop (forever) at this checkpoint, once: how the crash test freezes a real process mid-saga to SIGKILL it. */
  pauseAt?: string;
  /** Name in receipts and logs (default saga-<pid>). */
  name?: string;
  log?: (line: string) => void;
}

export interface SagaWorkers {
  stop(): Promise<void>;
}

/**
 * Runs the saga's services as mq queue workers. For each event: parse it (a malformed one throws, is nacked, and after
 * the group's max deliveries lands in the dead-letter topic), apply it once (effect + processed_events in one SQLite
 * transaction), publish what it emitted keyed by product with deterministic ids, and only then let the Worker ack.
 * A crash anywhere before the ack means the event comes back and the same steps run again, harmlessly.
 */
export function startSagaWorkers(opts: SagaWorkersOptions): SagaWorkers {
  const db = openDb(opts.dbPath);
  const log = opts.log ?? (() => {});
  const name = opts.name ?? `saga-${process.pid}`;
  const producer = new Producer({url: opts.url, token: opts.token});
  const builders: Record<ServiceName, () => Service> = {inventory: () => inventoryService(db), orders: () => ordersService(db), payments: () => paymentsService(db)};
  let paused = false;
  const ctx: StepContext = {
    async checkpoint(point) {
      if (point !== opts.pauseAt || paused) return;
      paused = true;
      log(`paused at ${point}`);
      await new Promise<never>(() => {});
    },
  };

  const handle = async (service: Service, m: WireDelivery): Promise<void> => {
    // each service validates only the events it consumes: a malformed OrderCreated is poison for payments alone
    if (!(eventType(m.value) in service.handles)) return; // not this service's business: ack and move on
    const event = parseEvent(m.value);
    const emitted = await dispatch(service, event, ctx);
    if (emitted === null) return;
    await ctx.checkpoint(`${service.name}:committed`);
    await Promise.all(emitted.map((e: SagaEvent) => producer.send(SAGA_TOPIC, {key: e.productId, id: eventId(e), value: e})));
    const redelivered = m.delivery_count > 1 ? ` (delivery ${m.delivery_count})` : '';
    log(`${service.name.padEnd(9)} ${event.orderId}  ${event.type} -> ${emitted.map((e) => e.type).join(', ') || 'done'}${redelivered}`);
  };

  const workers = (opts.services ?? SERVICES).map((s) => {
    const service = builders[s]();
    return new Worker({
      url: opts.url,
      token: opts.token,
      group: GROUPS[s],
      consumer: `${name}/${s}`,
      concurrency: opts.concurrency ?? 1,
      nackDelayMs: opts.nackDelayMs ?? 1000,
      handler: (m) => handle(service, m),
      onError: (error, m) => log(`${s.padEnd(9)} ${m ? `${m.topic}/${m.partition}@${m.offset} delivery ${m.delivery_count}: ` : ''}${error instanceof Error ? error.message : String(error)}`),
    });
  });
  const running = workers.map((w) => w.start());

  return {
    async stop() {
      await Promise.all(workers.map((w) => w.stop()));
      await Promise.allSettled(running);
      await producer.close();
      db.close();
    },
  };
}
