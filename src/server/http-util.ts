import type {FastifyReply, FastifyRequest} from 'fastify';
import type {ServerResponse} from 'node:http';
import {MqError} from '../errors.js';
import type {BodyFormat} from '../protocol/produce-body.js';

const JSON_TYPES = new Set(['application/json']);
const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/json-seq']);

/**
 * JSON bodies must say so: a cross-site form can send text/plain or form-urlencoded without a CORS preflight, so
 * accepting those would let any web page write to a broker on localhost.
 */
export function bodyFormat(req: FastifyRequest, allowNdjson: boolean): BodyFormat {
  const raw = req.headers['content-type'];
  const type = (raw ?? '').split(';')[0]!.trim().toLowerCase();
  if (JSON_TYPES.has(type)) return 'json';
  if (allowNdjson && NDJSON_TYPES.has(type)) return 'ndjson';
  const allowed = allowNdjson ? 'application/json or application/x-ndjson' : 'application/json';
  throw new MqError('UNSUPPORTED_MEDIA_TYPE', `content-type ${raw ? JSON.stringify(raw) : 'is missing'}; send ${allowed}`);
}

export function bodyBuffer(req: FastifyRequest): Buffer {
  const b = req.body;
  if (!Buffer.isBuffer(b) || b.length === 0) throw new MqError('INVALID_JSON', 'the request body is empty');
  return b;
}

/** Parses a JSON object body for admin endpoints (topic create/update). */
export function jsonObjectBody(req: FastifyRequest): Record<string, unknown> {
  bodyFormat(req, false);
  let doc: unknown;
  try {
    doc = JSON.parse(bodyBuffer(req).toString('utf8'));
  } catch (error) {
    throw new MqError('INVALID_JSON', `the body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new MqError('INVALID_FIELD', 'the body must be a JSON object');
  return doc as Record<string, unknown>;
}

const UINT = /^(0|[1-9][0-9]{0,15})$/;

/** Strict non-negative integer query parameters: no signs, fractions, exponents or values past 2^53. */
export function intParam(query: Record<string, string | string[] | undefined>, name: string, fallback: number, code: 'BAD_REQUEST' | 'INVALID_OFFSET' = 'BAD_REQUEST'): number {
  const v = query[name];
  if (v === undefined) return fallback;
  const s = Array.isArray(v) ? v[v.length - 1]! : v;
  if (!UINT.test(s) || !Number.isSafeInteger(Number(s))) {
    throw new MqError(code, `${name} must be a non-negative integer below 2^53, got ${JSON.stringify(s)}`, {param: name});
  }
  return Number(s);
}

export function onlyParams(query: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(query)) {
    if (!allowed.includes(k)) throw new MqError('BAD_REQUEST', `unknown query parameter ${JSON.stringify(k)} (allowed: ${allowed.join(', ') || 'none'})`, {param: k});
  }
}

/** An AbortSignal that fires when the client goes away before we answered (ends long-polls early). */
export function clientGone(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) ac.abort();
  });
  return ac.signal;
}

export function sendJson(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(text);
}

/**
 * Takes over the response for Server-Sent Events: no buffering by proxies (x-accel-buffering), no caching, the
 * connection kept open; the caller writes events to the returned socket response.
 */
export function openEventStream(reply: FastifyReply, extraHeaders: Record<string, string>): ServerResponse {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    ...extraHeaders,
  });
  return res;
}
