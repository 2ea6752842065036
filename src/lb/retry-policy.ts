/**
 * Which requests the lb may send to a second upstream after the first one failed in a way that leaves the outcome
 * unknown (the connection broke after the request went out, the upstream timed out, or answered 502-504).
 *
 * - Reads (GET, HEAD, OPTIONS) change nothing: always.
 * - A produce whose messages ALL carry an `id`: the broker de-duplicates ids (per partition, within the topic's
 *   window) and a message with an id always routes to the same partition, so a second copy is answered
 *   `duplicate: true` with the original offset instead of being written twice.
 * - Everything else (a produce with a message without id, group joins, queue fetches that lease, acks, topic
 *   changes): never. The client gets the error with `written: "unknown"` and decides.
 *
 * A request that never reached an upstream (the connection was refused or timed out) is a different case: nothing
 * was sent, so any request may go elsewhere (nginx's rule for non-idempotent requests too).
 */

export type RequestKind =
  /** Safe to repeat on another upstream. */
  | {retriable: true; messages: number}
  | {retriable: false; messages: number};

const PRODUCE_PATH = /^\/v1\/topics\/[^/?]+\/messages(?:\?|$)/;
const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/json-seq']);

const hasId = (env: unknown): boolean => {
  if (typeof env !== 'object' || env === null || Array.isArray(env)) return false;
  const id = (env as {id?: unknown}).id;
  return typeof id === 'string' && id.length > 0;
};

/** The produce body's envelopes, or undefined when it cannot be read (the broker will reject it: no retry needed). */
function envelopes(body: Buffer, contentType: string): unknown[] | undefined {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  try {
    if (NDJSON_TYPES.has(type)) {
      return body
        .toString('utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as unknown);
    }
    const doc = JSON.parse(body.toString('utf8')) as unknown;
    if (typeof doc === 'object' && doc !== null && !Array.isArray(doc) && 'messages' in doc) {
      const list = (doc as {messages: unknown}).messages;
      return Array.isArray(list) ? list : undefined;
    }
    return [doc];
  } catch {
    return undefined;
  }
}

export function classifyRequest(method: string, url: string, contentType: string | undefined, body: Buffer): RequestKind {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return {retriable: true, messages: 0};
  if (method !== 'POST' || !PRODUCE_PATH.test(url)) return {retriable: false, messages: 0};
  const list = envelopes(body, contentType ?? '');
  if (!list || list.length === 0) return {retriable: false, messages: 0};
  return {retriable: list.every(hasId), messages: list.length};
}
