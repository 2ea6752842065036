import type {FastifyInstance} from 'fastify';
import {MqError} from '../../errors.js';
import {errorFrame, type FrameId} from './ws-frames.js';

/** Who the connection acts for, taken from its upgrade request and passed on to every produce. */
export interface Caller {
  authorization?: string;
  remoteAddress?: string;
}

/**
 * Runs a produce frame through the HTTP produce route itself (fastify's inject: no socket, no HTTP parsing), so a
 * WebSocket produce gets exactly what `POST /v1/topics/{t}/messages` gets: validation, auto-creation, routing and
 * forwarding to partition leaders in a cluster, de-duplication, auth grants and rate limits, results and error codes.
 * Returns the answer frame.
 */
export async function produceFrame(app: FastifyInstance, id: FrameId, topic: string, acks: string, body: Buffer, caller: Caller): Promise<string> {
  const headers: Record<string, string> = {'content-type': 'application/json'};
  if (caller.authorization) headers.authorization = caller.authorization;
  const res = await app.inject({
    method: 'POST',
    url: `/v1/topics/${encodeURIComponent(topic)}/messages?acks=${acks}`,
    headers,
    payload: body,
    ...(caller.remoteAddress ? {remoteAddress: caller.remoteAddress} : {}),
  });
  const text = res.body;
  if (res.statusCode === 200 && text.startsWith('{"results":')) return `{"type":"produced","id":${JSON.stringify(id)},${text.slice(1)}`;
  let e: MqError;
  try {
    e = MqError.fromBody(res.statusCode, JSON.parse(text));
  } catch {
    e = new MqError('INTERNAL', `the produce answered ${res.statusCode} without an error body`, undefined, 'unknown');
  }
  return errorFrame(id, e);
}
