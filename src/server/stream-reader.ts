import type {Broker} from '../broker/broker.js';
import {waitAny} from '../broker/groups/index.js';
import type {PartitionLog} from '../broker/partition.js';
import {readRemote, RemoteTail} from '../broker/remote-read.js';
import {formatPositions, parsePositions, type Positions} from '../broker/stream-position.js';
import {validateTopicName} from '../broker/topic-config.js';
import {MqError} from '../errors.js';
import {placedMessageJson} from './wire-format.js';

const PAGE_MESSAGES = 200;
const PAGE_BYTES = 256 * 1024;

/** What a stream reads: SSE query parameters and WebSocket subscribe frames both come down to this. */
export interface StreamSpec {
  topic: string;
  /** `earliest`, `latest` or an offset (decimal digits), for partitions the resume position does not name. */
  from: string;
  partition?: number;
  key?: string;
  /** A position (an SSE event id, "p0=16,p1=3") to continue from. */
  resume?: string;
}

/** A validated stream with its starting position, ready to run. */
export interface StreamPlan {
  name: string;
  only: number | undefined;
  key: string | undefined;
  pos: Positions;
  /** The position the client already has (its resume position), so an unchanged one is not sent again. */
  resumed: string;
}

/** Where a stream's events go; each call resolves when the consumer can take more (backpressure). */
export interface StreamSink {
  message(position: string, json: string): Promise<void>;
  /** The position moved past messages the key filter dropped. */
  checkpoint(position: string): Promise<void>;
  /** Retention deleted [from, to) of a partition before the stream read it. */
  gap(partition: number, from: number, to: number): Promise<void>;
  /** Nothing happened for a heartbeat interval. */
  heartbeat(): Promise<void>;
}

/** Why a stream loop returned. */
export type StreamEnd = 'aborted' | 'closing' | 'topic-deleted';

const partitionsOf = (broker: Broker, name: string): number[] => (broker.topics.get(name)?.record.partitions.map((p) => p.number) ?? []).sort((a, b) => a - b);
const localLog = (broker: Broker, name: string, p: number): PartitionLog | undefined => broker.topics.get(name)?.partitions.get(p);

/**
 * Validates a stream request and finds where each partition starts, before anything is sent (so every refusal is an
 * ordinary error): 404 for an unknown topic or partition, 400 for a bad `from`, 416 for an offset outside a partition.
 */
export async function planStream(broker: Broker, spec: StreamSpec): Promise<StreamPlan> {
  const name = validateTopicName(spec.topic);
  broker.topics.mustGet(name);
  const only = spec.partition;
  if (only !== undefined && !partitionsOf(broker, name).includes(only)) throw new MqError('PARTITION_NOT_FOUND', `topic ${name} has no partition ${only}`, {topic: name, partition: only});
  const from = spec.from;
  if (from !== 'earliest' && from !== 'latest' && !/^\d{1,16}$/.test(from)) {
    throw new MqError('INVALID_OFFSET', `from must be earliest, latest or an offset, got ${JSON.stringify(from)}`);
  }
  const chosen = (): number[] => (only !== undefined ? [only] : partitionsOf(broker, name));
  // a partition this broker holds no replica of (more brokers than the replication factor) is read from one that does
  const bounds = async (p: number): Promise<{logStart: number; highWatermark: number}> =>
    localLog(broker, name, p) ?? (await readRemote(broker, name, p, undefined, {maxMessages: 1, maxBytes: 1, waitMs: 0}));
  const start = async (p: number): Promise<number> => {
    const b = await bounds(p);
    if (from === 'earliest') return b.logStart;
    if (from === 'latest') return b.highWatermark;
    const o = Number(from);
    if (o < b.logStart || o > b.highWatermark) {
      throw new MqError('OFFSET_OUT_OF_RANGE', `offset ${o} is outside [${b.logStart}, ${b.highWatermark}] for partition ${p}`, {partition: p, log_start: b.logStart, high_watermark: b.highWatermark});
    }
    return o;
  };
  const pos: Positions = spec.resume ? parsePositions(spec.resume) : new Map();
  for (const [p, o] of [...pos]) {
    if (!chosen().includes(p)) {
      pos.delete(p);
      continue;
    }
    const hw = (await bounds(p)).highWatermark;
    // in a cluster this replica may be behind the one that served the position: wait for it to catch up
    if (o > hw && !broker.clustered) throw new MqError('OFFSET_OUT_OF_RANGE', `position ${o} is past the end (${hw}) of partition ${p}: not a position of this topic`, {partition: p, high_watermark: hw});
  }
  for (const p of chosen()) if (!pos.has(p)) pos.set(p, await start(p));
  return {name, only, key: spec.key, pos, resumed: spec.resume ?? ''};
}

/**
 * Runs a planned stream into a sink until the signal aborts, the broker stops or the topic is deleted. Each message's
 * position is the next offset of every streamed partition after it, so resuming from it gives no gap and no
 * duplicate, on any broker. One page is read at a time and the sink's backpressure is awaited before reading more,
 * so a slow reader holds the broker to one page of memory; partitions held elsewhere are followed by long-polls.
 */
export async function runStream(broker: Broker, plan: StreamPlan, sink: StreamSink, opts: {heartbeatMs: number; signal: AbortSignal}): Promise<StreamEnd> {
  const {name, only, key, pos} = plan;
  const gone = opts.signal;
  const chosen = (): number[] => (only !== undefined ? [only] : partitionsOf(broker, name));
  const local = (p: number): PartitionLog | undefined => localLog(broker, name, p);
  let lastId = plan.resumed;
  let arrivals = 0;
  let wake = (): void => {};
  const tails = new Map<number, RemoteTail>();
  const tail = (p: number): RemoteTail => {
    let t = tails.get(p);
    if (!t) tails.set(p, (t = new RemoteTail(broker, name, p, (arrived) => (arrived && arrivals++, wake()))));
    return t;
  };
  const page = {maxMessages: PAGE_MESSAGES, maxBytes: PAGE_BYTES, waitMs: opts.heartbeatMs, signal: gone};
  while (!gone.aborted) {
    if (broker.isClosing) return 'closing';
    if (!broker.topics.get(name)) return 'topic-deleted';
    const seen = arrivals;
    for (const p of chosen()) if (!pos.has(p)) pos.set(p, local(p)?.logStart ?? 0);
    let progressed = false;
    for (const [p, at] of [...pos]) {
      const log = local(p);
      let next = at;
      const logStart = log ? log.logStart : (tail(p).gapTo ?? next);
      if (next < logStart) {
        await sink.gap(p, next, logStart);
        next = logStart;
        pos.set(p, next);
        if (!log) tail(p).gapTo = undefined;
      }
      if (log && next >= log.highWatermark) continue;
      const msgs = log ? log.read(next, page) : tail(p).take(next, page);
      if (msgs.length === 0) continue;
      for (const m of msgs) {
        pos.set(p, m.offset + 1);
        if (key !== undefined && m.key !== key) continue;
        lastId = formatPositions(pos);
        await sink.message(lastId, placedMessageJson(m, name, p));
        if (gone.aborted) return 'aborted';
      }
      progressed = true;
    }
    const id = formatPositions(pos);
    if (id !== lastId) {
      // positions moved past filtered-out messages: record that, so a resume does not re-scan them
      lastId = id;
      await sink.checkpoint(id);
    }
    if (progressed || arrivals !== seen) continue;
    const logs = [...pos.keys()].map(local).filter((l) => l !== undefined);
    const before = logs.map((l) => l.highWatermark).join();
    const ac = new AbortController();
    const stop = (): void => ac.abort();
    gone.addEventListener('abort', stop, {once: true});
    await Promise.race([waitAny(logs, opts.heartbeatMs, ac.signal), new Promise<void>((r) => (wake = r))]);
    wake = () => {};
    ac.abort();
    gone.removeEventListener('abort', stop);
    if (logs.map((l) => l.highWatermark).join() === before && arrivals === seen && !gone.aborted) await sink.heartbeat();
  }
  return 'aborted';
}
