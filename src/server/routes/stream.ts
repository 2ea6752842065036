import type {FastifyInstance} from 'fastify';
import type {Broker} from '../../broker/broker.js';
import {waitAny} from '../../broker/groups/index.js';
import {formatPositions, parsePositions, type Positions} from '../../broker/stream-position.js';
import {validateTopicName} from '../../broker/topic-config.js';
import {MqError} from '../../errors.js';
import {corsHeaders} from '../cors.js';
import {intParam, onlyParams, openEventStream} from '../http-util.js';
import {placedMessageJson} from '../wire-format.js';
import type {PartitionLog} from '../../broker/partition.js';
import {readRemote, RemoteTail} from '../../broker/remote-read.js';

type Query = Record<string, string | undefined>;

const PAGE_MESSAGES = 200;
const PAGE_BYTES = 256 * 1024;

/**
 * GET /v1/topics/{t}/stream: Server-Sent Events from earliest, latest or an offset, one partition or all, optionally
 * only messages with one key. Each event's id is the position after it in every partition, so a reconnect with
 * Last-Event-ID continues with no gap and no duplicate, on any broker. The loop reads one page at a time and waits for
 * the socket to drain before reading more, so a slow reader holds the broker to one page of memory.
 */
export function streamRoutes(app: FastifyInstance, broker: Broker): void {
  app.get<{Params: {topic: string}; Querystring: Query}>('/v1/topics/:topic/stream', async (req, reply) => {
    onlyParams(req.query, ['from', 'partition', 'key', 'last_event_id', 'heartbeat_ms']);
    const name = validateTopicName(req.params.topic);
    broker.topics.mustGet(name);
    const all = (): number[] => (broker.topics.get(name)?.record.partitions.map((p) => p.number) ?? []).sort((a, b) => a - b);
    const only = req.query.partition === undefined ? undefined : intParam(req.query, 'partition', 0);
    if (only !== undefined && !all().includes(only)) throw new MqError('PARTITION_NOT_FOUND', `topic ${name} has no partition ${only}`, {topic: name, partition: only});
    const key = req.query.key;
    const heartbeatMs = Math.min(Math.max(intParam(req.query, 'heartbeat_ms', broker.config.streamHeartbeatMs), 100), 120_000);
    const resume = req.headers['last-event-id'] ?? req.query.last_event_id;
    const from = req.query.from ?? 'earliest';
    if (from !== 'earliest' && from !== 'latest' && !/^\d{1,16}$/.test(from)) {
      throw new MqError('INVALID_OFFSET', `from must be earliest, latest or an offset, got ${JSON.stringify(from)}`);
    }
    const chosen = (): number[] => (only !== undefined ? [only] : all());
    // a partition this broker holds no replica of (more brokers than the replication factor) is read from one that does
    const local = (p: number): PartitionLog | undefined => broker.topics.get(name)?.partitions.get(p);
    const bounds = async (p: number): Promise<{logStart: number; highWatermark: number}> =>
      local(p) ?? (await readRemote(broker, name, p, undefined, {maxMessages: 1, maxBytes: 1, waitMs: 0}));
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
    const pos: Positions = resume ? parsePositions(String(resume)) : new Map();
    for (const [p, o] of [...pos]) {
      if (!chosen().includes(p)) {
        pos.delete(p);
        continue;
      }
      const hw = (await bounds(p)).highWatermark;
      // in a cluster this replica may be behind the one that served the position: wait for it to catch up
      if (o > hw && !broker.clustered) throw new MqError('OFFSET_OUT_OF_RANGE', `Last-Event-ID position ${o} is past the end (${hw}) of partition ${p}: not a position of this topic`, {partition: p, high_watermark: hw});
    }
    for (const p of chosen()) if (!pos.has(p)) pos.set(p, await start(p));

    const res = openEventStream(reply, corsHeaders(broker.config.corsOrigins, req.headers.origin));
    const gone = new AbortController();
    const stats = broker.streams;
    stats.open++;
    res.once('close', () => {
      stats.open--;
      gone.abort();
    });
    const write = async (chunk: string): Promise<void> => {
      const ok = res.write(chunk);
      stats.queuedBytesMax = Math.max(stats.queuedBytesMax, res.writableLength);
      if (ok) return;
      await new Promise<void>((resolve) => {
        const done = (): void => (res.off('drain', done), res.off('close', done), resolve());
        res.once('drain', done);
        res.once('close', done);
      });
    };
    await write(`retry: 1000\n: mq stream of ${name}, position ${formatPositions(pos)}\n\n`);
    let lastId = resume ? String(resume) : '';
    let arrivals = 0;
    let wake = (): void => {};
    const tails = new Map<number, RemoteTail>();
    const tail = (p: number): RemoteTail => {
      let t = tails.get(p);
      if (!t) tails.set(p, (t = new RemoteTail(broker, name, p, (arrived) => (arrived && arrivals++, wake()))));
      return t;
    };
    const page = {maxMessages: PAGE_MESSAGES, maxBytes: PAGE_BYTES, waitMs: heartbeatMs, signal: gone.signal};
    while (!gone.signal.aborted && !broker.isClosing) {
      if (!broker.topics.get(name)) break;
      const seen = arrivals;
      for (const p of chosen()) if (!pos.has(p)) pos.set(p, local(p)?.logStart ?? 0);
      let progressed = false;
      for (const [p, at] of [...pos]) {
        const log = local(p);
        let next = at;
        const logStart = log ? log.logStart : (tail(p).gapTo ?? next);
        if (next < logStart) {
          await write(`event: gap\ndata: {"partition":${p},"from":${next},"to":${logStart},"reason":"retention"}\n\n`);
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
          await write(`id: ${lastId}\ndata: ${placedMessageJson(m, name, p)}\n\n`);
          stats.events++;
          if (gone.signal.aborted) return;
        }
        progressed = true;
      }
      const id = formatPositions(pos);
      if (id !== lastId) {
        // positions moved past filtered-out messages: record that, so a resume does not re-scan them
        lastId = id;
        await write(`event: checkpoint\nid: ${id}\ndata: {}\n\n`);
      }
      if (progressed || arrivals !== seen) continue;
      const logs = [...pos.keys()].map(local).filter((l) => l !== undefined);
      const before = logs.map((l) => l.highWatermark).join();
      const ac = new AbortController();
      const stop = (): void => ac.abort();
      gone.signal.addEventListener('abort', stop, {once: true});
      await Promise.race([waitAny(logs, heartbeatMs, ac.signal), new Promise<void>((r) => (wake = r))]);
      wake = () => {};
      ac.abort();
      gone.signal.removeEventListener('abort', stop);
      if (logs.map((l) => l.highWatermark).join() === before && arrivals === seen && !gone.signal.aborted) await write(': heartbeat\n\n');
    }
    res.end();
  });
}
