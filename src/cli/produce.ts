import {createInterface} from 'node:readline';
import {MqClient, type Acks, type MessageInput} from '../client/client.js';
import {Producer, type ProducerOptions} from '../client/producer.js';
import {MqError} from '../errors.js';
import {isProduceFailure, type WireProduceResult} from '../protocol/wire.js';
import {UsageError} from './base-command.js';

export const ORDER_TOPIC = 'orders';
const ORDER_STEPS = ['order created', 'payment received', 'order shipped'];

/** The seeds' demo order: seq 1..3 with transaction ids order-N-k, key order-N, producer P1 (DESIGN §3). */
export function demoOrder(order: number): MessageInput[] {
  return ORDER_STEPS.map((content, i) => ({
    key: `order-${order}`,
    id: `order-${order}-${i + 1}`,
    producer: 'P1',
    value: {order, seq: i + 1, content},
  }));
}

/** A value argument is JSON when it parses as JSON (42, {"a":1}, "quoted"), otherwise the text itself. */
export function parseValue(text: string, asText: boolean): unknown {
  if (asText) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function parseHeaders(list: readonly string[] | undefined): Record<string, string> | undefined {
  if (!list || list.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const h of list) {
    const i = h.indexOf('=');
    if (i <= 0) throw new UsageError(`--header wants k=v, got ${JSON.stringify(h)}`);
    out[h.slice(0, i)] = h.slice(i + 1);
  }
  return out;
}

export interface ProduceTemplate {
  key?: string;
  id?: string;
  producer?: string;
  priority?: number;
  partition?: number;
  headers?: Record<string, string>;
}

export function withTemplate(value: unknown, t: ProduceTemplate): MessageInput {
  const m: MessageInput = {value};
  for (const k of ['key', 'id', 'producer', 'priority', 'partition', 'headers'] as const) if (t[k] !== undefined) (m as Record<string, unknown>)[k] = t[k];
  return m;
}

export async function* stdinLines(): AsyncIterable<string> {
  const rl = createInterface({input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY});
  for await (const line of rl) if (line.length > 0) yield line;
}

export interface ProducedLine {
  result: WireProduceResult;
  message: MessageInput | string;
}

const LINES_PER_REQUEST = 1000;
const BYTES_PER_REQUEST = 4 * 1024 * 1024;
const IN_FLIGHT_MAX = 5000;

/**
 * Produces stdin lines with bounded memory. Values go through the library's Producer (batched, with generated ids,
 * so a retried request is never written twice); results print in input order. With `envelope`, each line is a full
 * envelope sent as NDJSON unchanged, so its value keeps its exact bytes.
 */
export async function produceLines(
  conn: ProducerOptions,
  topic: string,
  lines: AsyncIterable<string>,
  opts: {template: ProduceTemplate; asText: boolean; envelope: boolean; acks?: Acks},
  onResult: (r: ProducedLine) => void,
): Promise<number> {
  if (opts.envelope) return produceEnvelopes(new MqClient(conn), topic, lines, opts.acks, onResult);
  const producer = new Producer({...conn, acks: opts.acks});
  const order: Array<{message: MessageInput; result: Promise<WireProduceResult>}> = [];
  let sent = 0;
  const drain = async (keep: number): Promise<void> => {
    while (order.length > keep) {
      const head = order.shift()!;
      onResult({message: head.message, result: await head.result});
    }
  };
  try {
    for await (const line of lines) {
      const message = withTemplate(parseValue(line, opts.asText), opts.template);
      const result = producer.send(topic, message).catch((error: unknown) => {
        const e = error instanceof MqError ? error : new MqError('INTERNAL', String(error));
        return {error: e.toBody().error} as WireProduceResult;
      });
      order.push({message, result});
      sent++;
      if (order.length >= IN_FLIGHT_MAX) await drain(IN_FLIGHT_MAX / 2);
    }
    await producer.flush();
    await drain(0);
  } finally {
    await producer.close();
  }
  return sent;
}

async function produceEnvelopes(client: MqClient, topic: string, lines: AsyncIterable<string>, acks: Acks | undefined, onResult: (r: ProducedLine) => void): Promise<number> {
  let batch: string[] = [];
  let bytes = 0;
  let sent = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const lineBatch = batch;
    batch = [];
    bytes = 0;
    const res = await client.produceRaw(topic, lineBatch.join('\n') + '\n', {ndjson: true, acks});
    const results = 'results' in res ? res.results : [];
    results.forEach((result, i) => onResult({result, message: lineBatch[i]!}));
    sent += lineBatch.length;
  };
  try {
    for await (const line of lines) {
      batch.push(line);
      bytes += line.length;
      if (batch.length >= LINES_PER_REQUEST || bytes >= BYTES_PER_REQUEST) await flush();
    }
    await flush();
  } finally {
    await client.close();
  }
  return sent;
}

export function describeResult(topic: string, r: WireProduceResult): string {
  if (isProduceFailure(r)) return `${topic}: ${r.error.code}: ${r.error.message}`;
  return `${topic}/${r.partition}@${r.offset}${r.duplicate ? ' (duplicate: already written)' : ''}`;
}

export function resultJson(topic: string, r: WireProduceResult, m: MessageInput | string): Record<string, unknown> {
  const id = typeof m === 'string' ? undefined : m.id;
  return {topic, ...r, ...(id !== undefined ? {id} : {})};
}

export function requireTopic(topic: string | undefined, order: number | undefined): string {
  if (topic) return topic;
  if (order !== undefined) return ORDER_TOPIC;
  throw new UsageError('give a topic: mq produce <topic> [value...]');
}
