import {MqClient, isProduceFailure, type WireMessage} from '../../src/client/index.js';
import {MqError} from '../../src/errors.js';

export interface Acked {
  id: string;
  partition: number;
  offset: number;
  /** performance.now() when the acknowledgement arrived. */
  at: number;
}

/**
 * Producers that keep writing batches with ids (acks=all) until stop(): what each acknowledgement said, and when it
 * arrived. A batch refused or failed ends its worker (the test decides whether that is expected).
 */
export class Load {
  readonly acked: Acked[] = [];
  readonly failures: MqError[] = [];
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(client: MqClient, topic: string, opts: {workers?: number; batch?: number; valueBytes?: number; pauseMs?: number} = {}) {
    const batch = opts.batch ?? 20;
    const pad = 'x'.repeat(opts.valueBytes ?? 100);
    const worker = async (w: number): Promise<void> => {
      for (let n = 0; !this.stopped; n += batch) {
        const msgs = Array.from({length: batch}, (_, k) => ({id: `w${w}-${n + k}`, key: `k${(n + k) % 7}`, value: {w, n: n + k, pad}}));
        try {
          const results = await client.produce(topic, msgs);
          const at = performance.now();
          results.forEach((r, i) => {
            if (isProduceFailure(r)) throw r.error;
            this.acked.push({id: msgs[i]!.id, partition: r.partition, offset: r.offset, at});
          });
          if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
        } catch (error) {
          if (!(error instanceof MqError)) throw error;
          this.failures.push(error);
          return;
        }
      }
    };
    this.done = Promise.all(Array.from({length: opts.workers ?? 4}, (_, w) => worker(w))).then(() => {});
  }

  async until(n: number): Promise<void> {
    while (this.acked.length < n && this.failures.length === 0) await new Promise((r) => setTimeout(r, 5));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

/** Every message of a partition from its log start, in offset order (pages of up to 5,000). */
export async function readPartition(client: MqClient, topic: string, partition: number): Promise<WireMessage[]> {
  const out: WireMessage[] = [];
  let offset: number | undefined;
  for (;;) {
    const page = await client.fetch(topic, partition, {offset, maxMessages: 5000});
    offset ??= page.log_start_offset ?? 0;
    out.push(...page.messages);
    if (page.messages.length === 0) return out;
    offset = page.messages[page.messages.length - 1]!.offset + 1;
  }
}
