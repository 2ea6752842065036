import type {Db} from './db.js';
import type {SagaEvent} from './events.js';

/**
 * Applies an event at most once per consumer: the effect and the processed_events row commit in one SQLite
 * transaction, so a crash leaves either both or neither. The events the effect produced are stored with the row; a
 * redelivered event returns them again, to be re-published (same ids, so the broker answers them as duplicates).
 * BEGIN IMMEDIATE takes the write lock up front, so two worker processes cannot both read "not yet processed".
 */
export function processOnce(db: Db, consumer: string, eventId: string, effect: () => SagaEvent[]): SagaEvent[] {
  const run = db.transaction((): SagaEvent[] => {
    const done = processedEvents(db, consumer, eventId);
    if (done) return done;
    const emitted = effect();
    db.prepare('INSERT INTO processed_events (consumer, event_id, emitted) VALUES (?, ?, ?)').run(consumer, eventId, JSON.stringify(emitted));
    return emitted;
  });
  return run.immediate();
}

/** The events a consumer emitted for an event it already processed, or undefined if it has not processed it. */
export function processedEvents(db: Db, consumer: string, eventId: string): SagaEvent[] | undefined {
  const row = db.prepare('SELECT emitted FROM processed_events WHERE consumer = ? AND event_id = ?').get(consumer, eventId) as {emitted: string} | undefined;
  return row ? (JSON.parse(row.emitted) as SagaEvent[]) : undefined;
}
