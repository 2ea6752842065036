import type {FastifyInstance} from 'fastify';
import type {Broker} from '../../broker/broker.js';
import {MqError} from '../../errors.js';
import {corsHeaders} from '../cors.js';
import {z} from 'zod';
import {clientGone, intParam, jsonObjectBody, onlyParams, sendJson} from '../http-util.js';
import {drained} from '../limits.js';
import {parseBody} from './body.js';

type Query = Record<string, string | undefined>;

function producerParam(p: string, broker: Broker): string {
  if (p.length === 0 || Buffer.byteLength(p) > broker.config.producerBytesMax) throw new MqError('BAD_REQUEST', 'producer ids are 1-256 bytes');
  return p;
}

const callbackSchema = z.strictObject({url: z.string().max(2048), from: z.enum(['latest', 'earliest']).optional()});

/** A producer's processing receipts: long-poll (cursor = receipt position) and SSE (event id = cursor); callbacks. */
export function receiptRoutes(app: FastifyInstance, broker: Broker): void {
  const receipts = broker.queues.receipts;
  const callbacks = broker.queues.callbacks;

  app.put<{Params: {producer: string}}>('/v1/receipts/:producer/callback', async (req) => {
    onlyParams(req.query as Record<string, unknown>, []);
    const b = parseBody(callbackSchema, jsonObjectBody(req));
    const reg = callbacks.register(producerParam(req.params.producer, broker), b.url, b.from ?? 'latest');
    return {producer: req.params.producer, url: reg.url, cursor: reg.cursor};
  });

  app.get<{Params: {producer: string}}>('/v1/receipts/:producer/callback', async (req) => {
    const reg = callbacks.get(producerParam(req.params.producer, broker));
    if (!reg) throw new MqError('NOT_FOUND', `no callback registered for producer ${req.params.producer}`);
    return {producer: req.params.producer, url: reg.url, cursor: reg.cursor};
  });

  app.delete<{Params: {producer: string}}>('/v1/receipts/:producer/callback', async (req, reply) => {
    callbacks.unregister(producerParam(req.params.producer, broker));
    return reply.code(204).send();
  });

  app.get<{Params: {producer: string}; Querystring: Query}>('/v1/receipts/:producer', async (req, reply) => {
    onlyParams(req.query, ['cursor', 'max', 'wait_ms']);
    const producer = producerParam(req.params.producer, broker);
    const cursor = req.query.cursor === undefined ? undefined : req.query.cursor === 'latest' ? receipts.partitionFor(producer).highWatermark : intParam(req.query, 'cursor', 0, 'INVALID_OFFSET');
    const page = await receipts.read(producer, cursor, Math.min(Math.max(intParam(req.query, 'max', 100), 1), 10_000), Math.min(intParam(req.query, 'wait_ms', 0), broker.config.waitMsMax), clientGone(reply));
    return sendJson(reply, 200, JSON.stringify({receipts: page.receipts, next_cursor: page.nextCursor}));
  });

  app.get<{Params: {producer: string}; Querystring: Query}>('/v1/receipts/:producer/stream', async (req, reply) => {
    onlyParams(req.query, ['cursor', 'last_event_id']);
    const producer = producerParam(req.params.producer, broker);
    const resume = req.headers['last-event-id'] ?? req.query.last_event_id;
    let cursor = resume !== undefined ? intParam({c: String(resume)}, 'c', 0, 'INVALID_OFFSET') : req.query.cursor === undefined ? undefined : intParam(req.query, 'cursor', 0, 'INVALID_OFFSET');
    await receipts.read(producer, cursor, 1, 0);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no', ...corsHeaders(broker.config.corsOrigins, req.headers.origin)});
    const gone = new AbortController();
    res.once('close', () => gone.abort());
    res.write('retry: 1000\n\n');
    while (!gone.signal.aborted && !broker.isClosing) {
      const page = await receipts.read(producer, cursor, 500, broker.config.streamHeartbeatMs, gone.signal);
      if (page.receipts.length === 0) res.write(': heartbeat\n\n');
      for (const r of page.receipts) {
        if (!res.write(`id: ${r.cursor + 1}\nevent: receipt\ndata: ${JSON.stringify(r)}\n\n`)) await drained(res, broker.config.streamStallTimeoutMs);
      }
      cursor = page.nextCursor;
    }
    res.end();
  });
}
