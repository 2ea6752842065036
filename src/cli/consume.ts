import type {MqClient} from '../client/index.js';
import {Consumer, type ConsumerOptions} from '../client/consumer.js';
import {MqError} from '../errors.js';
import type {WireMessage} from '../protocol/wire.js';
import {UsageError} from './base-command.js';

export type StartPosition = 'earliest' | 'latest' | number;

export interface ConsumeOptions {
  from: StartPosition;
  partitions?: number[];
  /** Stop after this many messages. */
  max?: number;
  /** Give up (and report "not enough") after this long. */
  timeoutMs?: number;
  /** Keep waiting for new messages instead of stopping at the end of the log. */
  follow: boolean;
  /** Longest single long-poll. */
  pollMs?: number;
  signal?: AbortSignal;
}

export interface ConsumedMessage extends WireMessage {
  topic: string;
  partition: number;
}

export interface ConsumeOutcome {
  count: number;
  /** false when --max was not reached before the timeout. */
  complete: boolean;
}

export function parseFrom(text: string): StartPosition {
  if (text === 'earliest' || text === 'latest') return text;
  if (/^\d+$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  throw new UsageError(`--from wants earliest, latest or an offset, got ${JSON.stringify(text)}`);
}

/**
 * Reads a topic by offset, all its partitions at once (one long-poll each). Without --follow and --max it reads what
 * is committed when it starts and stops; with --max it waits for that many; with --follow it waits for more.
 */
export async function consumeByOffset(client: MqClient, topic: string, opts: ConsumeOptions, emit: (m: ConsumedMessage) => void): Promise<ConsumeOutcome> {
  const d = await client.describeTopic(topic);
  const parts = opts.partitions ?? d.partition_details.map((p) => p.partition);
  for (const p of parts) {
    if (!d.partition_details.some((x) => x.partition === p)) throw new MqError('PARTITION_NOT_FOUND', `topic ${topic} has no partition ${p}`);
  }
  const deadline = opts.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + opts.timeoutMs;
  const waitForMore = opts.follow || opts.max !== undefined;
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  opts.signal?.addEventListener('abort', onAbort, {once: true});
  let count = 0;
  const done = (): boolean => stop.signal.aborted || (opts.max !== undefined && count >= opts.max) || Date.now() >= deadline;

  const readPartition = async (partition: number): Promise<void> => {
    const info = d.partition_details.find((x) => x.partition === partition)!;
    let offset = opts.from === 'earliest' ? info.log_start_offset : opts.from === 'latest' ? info.high_watermark : opts.from;
    const end = info.high_watermark;
    while (!done()) {
      if (!waitForMore && offset >= end) return;
      const waitMs = waitForMore ? Math.max(0, Math.min(opts.pollMs ?? 10_000, deadline - Date.now())) : 0;
      let page;
      try {
        page = await client.fetch(topic, partition, {offset, waitMs, maxMessages: opts.max === undefined ? 1000 : Math.min(1000, Math.max(1, opts.max - count)), signal: stop.signal});
      } catch (error) {
        if (stop.signal.aborted) return;
        const start = (error as MqError).details?.log_start;
        if (error instanceof MqError && error.code === 'OFFSET_OUT_OF_RANGE' && typeof start === 'number' && offset < start) {
          process.stderr.write(`warning: ${topic}/${partition}: offsets ${offset}..${start - 1} were deleted by retention; continuing at ${start}\n`);
          offset = start;
          continue;
        }
        throw error;
      }
      for (const m of page.messages) {
        if (done() || (!waitForMore && m.offset >= end)) break;
        count++;
        emit({topic, partition, ...m});
        offset = m.offset + 1;
      }
      // the other partitions' long-polls end as soon as --max is reached
      if (opts.max !== undefined && count >= opts.max) stop.abort();
      if (page.messages.length === 0) offset = page.next_offset;
    }
  };

  try {
    await Promise.all(
      parts.map((p) =>
        readPartition(p).catch((error: unknown) => {
          stop.abort();
          throw error;
        }),
      ),
    );
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    stop.abort();
  }
  return {count, complete: opts.max === undefined || count >= opts.max};
}

export function messageLine(m: ConsumedMessage): string {
  const value = m.value_base64 !== undefined ? `base64:${m.value_base64}` : typeof m.value === 'string' ? m.value : JSON.stringify(m.value);
  return `${m.topic}/${m.partition}@${m.offset}${m.key !== null ? ` key=${m.key}` : ''} ${value}`;
}

/**
 * Reads as a member of a consumer group (through the library's Consumer, so the CLI and the library behave alike).
 * Stops at --max, --timeout or a signal; without --follow also once caught up. What was printed is committed when
 * it stops, and the member leaves the group so the others take over its partitions at once.
 */
export async function consumeGroup(
  client: Pick<ConsumerOptions, 'url' | 'token' | 'ca'>,
  topic: string,
  group: string,
  opts: ConsumeOptions & {clientId?: string},
  emit: (m: ConsumedMessage) => void,
): Promise<ConsumeOutcome> {
  const deadline = opts.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + opts.timeoutMs;
  const consumer = new Consumer({
    ...client,
    topics: topic,
    group,
    clientId: opts.clientId ?? 'mq-cli',
    from: typeof opts.from === 'string' ? opts.from : undefined,
    maxMessages: opts.max === undefined ? 500 : Math.min(500, opts.max),
    // without --follow/--max/--timeout one short poll that finds nothing means "caught up"
    waitMs: opts.follow || opts.max !== undefined ? Math.min(opts.pollMs ?? 5000, opts.timeoutMs ?? 5000) : 500,
  });
  let count = 0;
  const onAbort = (): void => void consumer.close();
  opts.signal?.addEventListener('abort', onAbort, {once: true});
  try {
    for (;;) {
      if (opts.signal?.aborted || Date.now() >= deadline || (opts.max !== undefined && count >= opts.max)) break;
      const batch = await consumer.poll();
      for (const m of batch) {
        if (opts.max !== undefined && count >= opts.max) break;
        consumer.handOut(m);
        emit(m);
        count++;
      }
      if (batch.length === 0 && !opts.follow && opts.max === undefined && opts.timeoutMs === undefined) break;
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await consumer.close();
  }
  return {count, complete: opts.max === undefined || count >= opts.max};
}
