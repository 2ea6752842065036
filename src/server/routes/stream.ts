import type {FastifyInstance} from 'fastify';
import type {Broker} from '../../broker/broker.js';
import {waitAny} from '../../broker/groups/index.js';
import {formatPositions, parsePositions, type Positions} from '../../broker/stream-position.js';
import {validateTopicName} from '../../broker/topic-config.js';
import {MqError} from '../../errors.js';
import {corsHeaders} from '../cors.js';
import {intParam, onlyParams} from '../http-util.js';
import {placedMessageJson} from '../wire-format.js';

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
    const topic = broker.topics.mustGet(name);
    const only = req.query.partition === undefined ? undefined : intParam(req.query, 'partition', 0);
    if (only !== undefined) broker.partitionLog(name, only);
    const key = req.query.key;
    const heartbeatMs = Math.min(Math.max(intParam(req.query, 'heartbeat_ms', broker.config.streamHeartbeatMs), 100), 120_000);
    const resume = req.headers['last-event-id'] ?? req.query.last_event_id;
    const from = req.query.from ?? 'earliest';
    if (from !== 'earliest' && from !== 'latest' && !/^\d{1,16}$/.test(from)) {
      throw new MqError('INVALID_OFFSET', `from must be earliest, latest or an offset, got ${JSON.stringify(from)}`);
    }
    const chosen = (): number[] => (only !== undefined ? [only] : [...topic.partitions.keys()].sort((a, b) => a - b));
    const start = (p: number): number => {
      const log = broker.partitionLog(name, p);
      if (from === 'earliest') return log.logStart;
      if (from === 'latest') return log.highWatermark;
      const o = Number(from);
      if (o < log.logStart || o > log.highWatermark) {
        throw new MqError('OFFSET_OUT_OF_RANGE', `offset ${o} is outside [${log.logStart}, ${log.highWatermark}] for partition ${p}`, {partition: p, log_start: log.logStart, high_watermark: log.highWatermark});
      }
      return o;
    };
    const pos: Positions = resume ? parsePositions(String(resume)) : new Map();
    for (const [p, o] of [...pos]) {
      if (!chosen().includes(p)) {
        pos.delete(p);
        continue;
      }
      const hw = broker.partitionLog(name, p).highWatermark;
      if (o > hw) throw new MqError('OFFSET_OUT_OF_RANGE', `Last-Event-ID position ${o} is past the end (${hw}) of partition ${p}: not a position of this topic`, {partition: p, high_watermark: hw});
    }
    for (const p of chosen()) if (!pos.has(p)) pos.set(p, start(p));

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...corsHeaders(broker.config.corsOrigins, req.headers.origin),
    });
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
    while (!gone.signal.aborted && !broker.isClosing) {
      if (!broker.topics.get(name)) break;
      for (const p of chosen()) if (!pos.has(p)) pos.set(p, broker.partitionLog(name, p).logStart);
      let progressed = false;
      for (const [p, at] of [...pos]) {
        const log = broker.topics.get(name)?.partitions.get(p);
        if (!log) continue;
        let next = at;
        if (next < log.logStart) {
          await write(`event: gap\ndata: {"partition":${p},"from":${next},"to":${log.logStart},"reason":"retention"}\n\n`);
          next = log.logStart;
        }
        if (next >= log.highWatermark) {
          pos.set(p, next);
          continue;
        }
        for (const m of log.read(next, {maxMessages: PAGE_MESSAGES, maxBytes: PAGE_BYTES})) {
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
      if (progressed) continue;
      const logs = [...pos.keys()].map((p) => broker.topics.get(name)?.partitions.get(p)).filter((l) => l !== undefined);
      const before = logs.map((l) => l.highWatermark).join();
      await waitAny(logs, heartbeatMs, gone.signal);
      if (logs.map((l) => l.highWatermark).join() === before && !gone.signal.aborted) await write(': heartbeat\n\n');
    }
    res.end();
  });
}
