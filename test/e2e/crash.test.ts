import {describe, expect, it} from 'vitest';
import {MqClient, isProduceFailure, type WireProduceOk} from '../../src/client/index.js';
import {MqError} from '../../src/errors.js';
import {spawnBroker} from '../helpers/process.js';

interface Sent {
  id: string;
  value: {w: number; n: number};
}

/** kill -9 while producers send: after a restart every acknowledged message is intact where its ack said. */
describe('durability - kill -9 under load', () => {
  it('keeps every acknowledged message, at its acknowledged offset, and retries de-duplicate', async () => {
    const first = await spawnBroker();
    const client = new MqClient({url: first.url, timeoutMs: 5000});
    await client.createTopic({name: 'crash', partitions: 3});
    const acked = new Map<string, {partition: number; offset: number; value: Sent['value']}>();
    const unknown: Sent[][] = [];
    let stop = false;
    const worker = async (w: number): Promise<void> => {
      for (let n = 0; !stop; n += 20) {
        const batch: Sent[] = Array.from({length: 20}, (_, k) => ({id: `w${w}-${n + k}`, value: {w, n: n + k}}));
        try {
          const results = await client.produce('crash', batch.map((m) => ({id: m.id, value: m.value})));
          results.forEach((r, i) => {
            if (isProduceFailure(r)) throw new Error(`unexpected per-message failure ${r.error.code}`);
            acked.set(batch[i]!.id, {partition: r.partition, offset: r.offset, value: batch[i]!.value});
          });
        } catch (error) {
          if (!(error instanceof MqError)) throw error;
          if (error.written !== false) unknown.push(batch);
          return;
        }
      }
    };
    const workers = [0, 1, 2, 3].map(worker);
    const killer = (async () => {
      while (acked.size < 2000) await new Promise((r) => setTimeout(r, 10));
      first.kill('SIGKILL');
      stop = true;
    })();
    await Promise.all([killer, ...workers]);
    await first.exited;
    await client.close();
    expect(acked.size).toBeGreaterThanOrEqual(2000);

    const second = await spawnBroker({dataDir: first.dataDir});
    const c2 = new MqClient({url: second.url});
    try {
      const stored = new Map<string, {partition: number; offset: number; value: unknown}>();
      for (const p of [0, 1, 2]) {
        let offset = 0;
        for (;;) {
          const page = await c2.fetch('crash', p, {offset, maxMessages: 5000});
          page.messages.forEach((m, i) => {
            expect(m.offset).toBe(offset + i);
            expect(stored.has(m.id!)).toBe(false);
            stored.set(m.id!, {partition: p, offset: m.offset, value: m.value});
          });
          if (page.messages.length === 0) break;
          offset = page.next_offset;
        }
      }
      for (const [id, a] of acked) expect(stored.get(id), id).toEqual({partition: a.partition, offset: a.offset, value: a.value});
      // a producer retrying what it never heard back about gets each message exactly once
      for (const batch of unknown) {
        const results = await c2.produce('crash', batch.map((m) => ({id: m.id, value: m.value})));
        results.forEach((r, i) => {
          const prior = stored.get(batch[i]!.id);
          if (prior) expect(r).toMatchObject({duplicate: true, offset: prior.offset});
          else expect((r as WireProduceOk).duplicate).toBe(false);
        });
      }
    } finally {
      await c2.close();
      second.kill('SIGTERM');
      await second.exited;
    }
  }, 120_000);
});
