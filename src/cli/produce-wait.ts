import {MqClient, type MessageInput} from '../client/client.js';
import {isProduceFailure, type WireProcessedResult, type WireProduceFailed, type WireReceipt} from '../protocol/wire.js';

export interface WaitOutcome {
  results: Array<WireProcessedResult | WireProduceFailed>;
  pending: number;
}

/**
 * `mq produce --wait processed`: publish with await=processed and, meanwhile, follow the producer's receipt log so
 * that each confirm (in progress, processed, dead-lettered) is printed as the consumer sends it.
 */
export async function produceAndFollow(
  client: MqClient,
  topic: string,
  messages: MessageInput[],
  timeoutMs: number,
  onReceipt: (r: WireReceipt, m: MessageInput | undefined) => void,
): Promise<WaitOutcome> {
  const producer = messages[0]!.producer!;
  const ids = new Map(messages.filter((m) => m.id !== undefined).map((m) => [m.id!, m]));
  const start = await client.receipts(producer, {cursor: 'latest'});
  let cursor = start.next_cursor;
  const stop = new AbortController();
  const follow = (async () => {
    while (!stop.signal.aborted) {
      try {
        const page = await client.receipts(producer, {cursor, waitMs: 1000, signal: stop.signal});
        for (const r of page.receipts) if (r.id !== null && ids.has(r.id)) onReceipt(r, ids.get(r.id));
        cursor = page.next_cursor;
      } catch {
        if (!stop.signal.aborted) await new Promise((r) => setTimeout(r, 200));
      }
    }
  })();
  try {
    const results = await client.produceProcessed(topic, messages, {timeoutMs});
    // let the last receipts arrive before the summary
    await new Promise((r) => setTimeout(r, 300));
    return {results, pending: results.filter((r) => !isProduceFailure(r) && r.state === 'pending').length};
  } finally {
    stop.abort();
    await follow;
  }
}
