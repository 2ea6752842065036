import type {StoredMessage} from '../../storage/index.js';
import type {Broker} from '../broker.js';
import type {PartitionLog} from '../partition.js';
import {readRemote, type PartitionPage} from '../remote-read.js';
import type {Bounds, TopicView} from './coordinator.js';
import {waitAny} from './wait-any.js';

/**
 * The partitions a group reads, as its coordinator sees them: a replica held here is read directly; one held only by
 * other brokers (more brokers than the replication factor) is read from a replica over HTTP, whose bounds are kept
 * as of the last read for /status.
 */
export function groupTopicView(broker: Broker): TopicView {
  const known = new Map<string, Bounds>();
  const local = (topic: string, p: number): PartitionLog | undefined => broker.topics.get(topic)?.partitions.get(p);
  const remote = async (topic: string, p: number, from: number | undefined, o: {maxMessages: number; maxBytes: number; waitMs: number; signal?: AbortSignal}): Promise<PartitionPage> => {
    const page = await readRemote(broker, topic, p, from, o);
    known.set(`${topic}/${p}`, {logStart: page.logStart, highWatermark: page.highWatermark});
    return page;
  };
  const bounds = async (topic: string, p: number): Promise<Bounds> => local(topic, p) ?? (await remote(topic, p, undefined, {maxMessages: 1, maxBytes: 1, waitMs: 0}));
  const first = async (topic: string, p: number, offset: number): Promise<StoredMessage | undefined> =>
    (await remote(topic, p, offset, {maxMessages: 1, maxBytes: 1, waitMs: 0})).messages[0];
  return {
    partitions: (topic) => {
      const t = broker.topics.get(topic);
      return t ? t.record.partitions.map((p) => p.number).sort((a, b) => a - b) : undefined;
    },
    bounds,
    boundsNow: (topic, p) => {
      const l = local(topic, p);
      return l ? {logStart: l.logStart, highWatermark: l.highWatermark} : known.get(`${topic}/${p}`);
    },
    read: async (topic, p, from, limits) => {
      const l = local(topic, p);
      return l ? l.read(from, limits) : (await remote(topic, p, from, {...limits, waitMs: 0})).messages;
    },
    waitAny: async (tps, waitMs, signal) => {
      const ac = new AbortController();
      const stop = (): void => ac.abort();
      signal.addEventListener('abort', stop, {once: true});
      const logs = tps.map((tp) => local(tp.topic, tp.partition)).filter((l) => l !== undefined);
      // a long-poll per remote partition, from the member's position: it answers as soon as a message is there
      const polls = tps
        .filter((tp) => !local(tp.topic, tp.partition))
        .map((tp) =>
          remote(tp.topic, tp.partition, tp.from, {maxMessages: 1, maxBytes: 1, waitMs, signal: ac.signal}).then(
            (page) => (page.messages.length > 0 ? undefined : new Promise<never>(() => {})),
            // unreachable replica: wait a little rather than spin
            () => new Promise<void>((r) => setTimeout(r, Math.min(waitMs, 500)).unref()),
          ),
        );
      try {
        await Promise.race([waitAny(logs, waitMs, ac.signal), ...polls]);
      } finally {
        ac.abort();
        signal.removeEventListener('abort', stop);
      }
    },
    offsetForTimestamp: async (topic, p, ts) => {
      const l = local(topic, p);
      if (l) return broker.store.offsetForTimestamp(l.pid, ts);
      // timestamps never decrease within a partition: binary search over remote reads of one message
      const b = await bounds(topic, p);
      let lo = b.logStart;
      let hi = b.highWatermark;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        const m = await first(topic, p, mid);
        if (m !== undefined && m.timestamp < ts) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    },
  };
}
