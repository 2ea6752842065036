import type {Broker} from '../broker.js';
import type {ProduceMessage} from '../router.js';
import {dlqTopicName, redriveId} from './dead-letter.js';

const PAGE = 500;

/**
 * Sends dead letters back to work: each message of the dead-letter topic not redriven yet goes back to the topic it
 * came from, with a new id `<id>:redrive:<n>` (so it is not taken for a duplicate of itself) and its original id in
 * `mq-redrive-of`; the mq-dlq-* headers are dropped. Progress per dead-letter partition is kept in metadata, so a
 * second redrive only sends what arrived since.
 */
export async function redrive(broker: Broker, topic: string, opts: {max?: number; deadLetterTopic?: string} = {}): Promise<{redriven: number; remaining: number}> {
  const dlq = opts.deadLetterTopic ?? dlqTopicName(topic);
  const t = broker.topics.mustGet(dlq);
  const max = opts.max ?? Number.POSITIVE_INFINITY;
  let redriven = 0;
  let remaining = 0;
  for (const log of [...t.partitions.values()].sort((a, b) => a.number - b.number)) {
    const key = `redrive/${dlq}/${log.number}`;
    let pos = Math.max(Number(broker.store.getMeta(key) ?? log.logStart), log.logStart);
    while (pos < log.highWatermark && redriven < max) {
      const page = log.read(pos, {maxMessages: Math.min(PAGE, max - redriven), maxBytes: 8 * 1024 * 1024});
      if (page.length === 0) break;
      const byTarget = new Map<string, ProduceMessage[]>();
      for (const m of page) {
        const headers = m.headers ? (JSON.parse(m.headers) as Record<string, string>) : {};
        const target = headers['mq-dlq-topic'] ?? topic;
        const original = headers['mq-dlq-original-id'];
        const kept = Object.fromEntries(Object.entries(headers).filter(([k]) => !k.startsWith('mq-dlq-')));
        if (original !== undefined) kept['mq-redrive-of'] = original;
        const msg: ProduceMessage = {
          id: redriveId(original, `redrive/${dlq}/${log.number}/${m.offset}`),
          key: m.key,
          producer: m.producer,
          priority: m.priority,
          headers: Object.keys(kept).length ? JSON.stringify(kept) : null,
          valueType: m.valueType,
          value: m.value,
          notBefore: 0,
        };
        byTarget.set(target, [...(byTarget.get(target) ?? []), msg]);
      }
      for (const [target, msgs] of byTarget) {
        const results = await broker.produce(target, msgs);
        for (const r of results) if ('error' in r) throw r.error;
      }
      pos = page[page.length - 1]!.offset + 1;
      broker.store.putMeta(key, String(pos));
      redriven += page.length;
    }
    remaining += Math.max(0, log.highWatermark - pos);
  }
  return {redriven, remaining};
}
