import type {EventOf, SagaEvent, SagaEventType} from './events.js';

export type ServiceName = 'inventory' | 'orders' | 'payments';
export const SERVICES: readonly ServiceName[] = ['inventory', 'orders', 'payments'];

export interface StepContext {
  /**
   * A named point between two steps ('payments:charged'; the runner adds '<service>:committed' after every handler).
   * It does nothing unless the worker was started with pauseAt, which the crash test uses to stop a real process
   * exactly there and kill it.
   */
  checkpoint(point: string): Promise<void>;
}

type Handler<T extends SagaEventType> = (event: EventOf<T>, ctx: StepContext) => Promise<SagaEvent[]> | SagaEvent[];

/** A saga participant: the event types it reacts to, each returning the events it emits in reply. */
export interface Service {
  name: ServiceName;
  handles: {[T in SagaEventType]?: Handler<T>};
}

/** Calls the service's handler for this event, or returns null if the service does not react to its type. */
export async function dispatch(service: Service, event: SagaEvent, ctx: StepContext): Promise<SagaEvent[] | null> {
  const handler = service.handles[event.type] as Handler<typeof event.type> | undefined;
  return handler ? handler(event as never, ctx) : null;
}
