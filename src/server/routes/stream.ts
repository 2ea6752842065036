import type {FastifyInstance} from 'fastify';
import type {Broker} from '../../broker/broker.js';
import {formatPositions} from '../../broker/stream-position.js';
import {corsHeaders} from '../cors.js';
import {intParam, onlyParams, openEventStream} from '../http-util.js';
import {drained} from '../limits.js';
import {planStream, runStream} from '../stream-reader.js';

type Query = Record<string, string | undefined>;

/**
 * GET /v1/topics/{t}/stream: Server-Sent Events from earliest, latest or an offset, one partition or all, optionally
 * only messages with one key. Each event's id is the position after it in every partition, so a reconnect with
 * Last-Event-ID continues with no gap and no duplicate, on any broker. The reading loop (stream-reader.ts, shared
 * with WebSocket subscriptions) waits for the socket to drain before reading more, so a slow reader holds the broker
 * to one page of memory.
 */
export function streamRoutes(app: FastifyInstance, broker: Broker): void {
  app.get<{Params: {topic: string}; Querystring: Query}>('/v1/topics/:topic/stream', async (req, reply) => {
    onlyParams(req.query, ['from', 'partition', 'key', 'last_event_id', 'heartbeat_ms']);
    const resume = req.headers['last-event-id'] ?? req.query.last_event_id;
    const plan = await planStream(broker, {
      topic: req.params.topic,
      from: req.query.from ?? 'earliest',
      partition: req.query.partition === undefined ? undefined : intParam(req.query, 'partition', 0),
      key: req.query.key,
      resume: resume === undefined ? undefined : String(resume),
    });
    const heartbeatMs = Math.min(Math.max(intParam(req.query, 'heartbeat_ms', broker.config.streamHeartbeatMs), 100), 120_000);

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
      // a reader that stops taking bytes is cut off after streamStallTimeoutMs rather than held open forever
      await drained(res, broker.config.streamStallTimeoutMs);
    };
    await write(`retry: 1000\n: mq stream of ${plan.name}, position ${formatPositions(plan.pos)}\n\n`);
    await runStream(broker, plan, {
      message: async (id, json) => {
        await write(`id: ${id}\ndata: ${json}\n\n`);
        stats.events++;
      },
      checkpoint: (id) => write(`event: checkpoint\nid: ${id}\ndata: {}\n\n`),
      gap: (p, from, to) => write(`event: gap\ndata: {"partition":${p},"from":${from},"to":${to},"reason":"retention"}\n\n`),
      heartbeat: () => write(': heartbeat\n\n'),
    }, {heartbeatMs, signal: gone.signal});
    res.end();
  });
}
