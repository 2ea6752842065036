import type {MqClient} from '../client/client.js';
import type {WireMessage} from '../protocol/wire.js';

/** One line per dead letter, with its provenance headers (mq-dlq-*) made readable. */
export async function deadLetterLines(client: MqClient, dlq: string, max: number): Promise<Array<{human: string; json: unknown}>> {
  const d = await client.describeTopic(dlq).catch(() => undefined);
  if (!d) return [];
  const out: Array<{human: string; json: unknown}> = [];
  for (const p of d.partition_details) {
    let offset = p.log_start_offset;
    while (offset < p.high_watermark && out.length < max) {
      const page = await client.fetch(dlq, p.partition, {offset, maxMessages: Math.min(500, max - out.length)});
      for (const m of page.messages) out.push(line(dlq, p.partition, m));
      if (page.messages.length === 0) break;
      offset = page.next_offset;
    }
  }
  return out;
}

function line(dlq: string, partition: number, m: WireMessage): {human: string; json: unknown} {
  const h = m.headers ?? {};
  const from = `${h['mq-dlq-topic']}/${h['mq-dlq-partition']}@${h['mq-dlq-offset']}`;
  const value = m.value_base64 !== undefined ? `base64:${m.value_base64}` : JSON.stringify(m.value);
  const json = {
    dead_letter: `${dlq}/${partition}@${m.offset}`,
    from,
    group: h['mq-dlq-group'],
    deliveries: Number(h['mq-dlq-deliveries']),
    error: h['mq-dlq-error'],
    original_id: h['mq-dlq-original-id'] ?? null,
    key: m.key,
    value: m.value_base64 ?? m.value,
  };
  return {human: `${from} (group ${json.group}, ${json.deliveries} deliveries): ${json.error} ${value}`, json};
}
