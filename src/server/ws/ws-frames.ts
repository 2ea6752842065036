import {MqError} from '../../errors.js';
import {memberSpan, skipWs} from '../../protocol/json-span.js';

/** A client-chosen correlation id: echoed on every server frame about the request. */
export type FrameId = string | number;

export type ClientFrame =
  | {type: 'produce'; id: FrameId; topic: string; acks: 'all' | 'leader'; body: Buffer}
  | {type: 'subscribe'; id: FrameId; topic: string; from: string; resume: string | undefined; partition: number | undefined; key: string | undefined}
  | {type: 'unsubscribe'; id: FrameId}
  | {type: 'ping'; id: FrameId};

const FIELDS: Record<ClientFrame['type'], ReadonlySet<string>> = {
  produce: new Set(['type', 'id', 'topic', 'messages', 'acks']),
  subscribe: new Set(['type', 'id', 'topic', 'from', 'partition', 'key']),
  unsubscribe: new Set(['type', 'id']),
  ping: new Set(['type', 'id']),
};

const ID_BYTES_MAX = 256;

/** A refused frame: the error to send, with the frame's id when it had a usable one. */
export class FrameError extends Error {
  constructor(
    readonly id: FrameId | null,
    readonly error: MqError,
  ) {
    super(error.message);
  }
}

function idOf(doc: Record<string, unknown>): FrameId {
  const id = doc.id;
  if (id === undefined) throw new FrameError(null, new MqError('MISSING_FIELD', 'every frame needs an id (a string or a non-negative integer) to match its answers', {field: 'id'}));
  if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) return id;
  if (typeof id === 'string' && id.length > 0 && Buffer.byteLength(id) <= ID_BYTES_MAX) return id;
  throw new FrameError(null, new MqError('INVALID_FIELD', `id must be a string of 1-${ID_BYTES_MAX} bytes or a non-negative integer`, {field: 'id'}));
}

function topicOf(id: FrameId, doc: Record<string, unknown>): string {
  if (doc.topic === undefined) throw new FrameError(id, new MqError('MISSING_FIELD', `${String(doc.type)} needs a topic`, {field: 'topic'}));
  if (typeof doc.topic !== 'string') throw new FrameError(id, new MqError('INVALID_FIELD', 'topic must be a string', {field: 'topic'}));
  return doc.topic;
}

/**
 * `from`: earliest, latest, an offset (number or digits), or a stream position ("p0=16,p1=3", an SSE event id; empty
 * means "nothing read yet"). A position resumes the partitions it names; the others start from their start.
 */
function fromOf(id: FrameId, v: unknown): {from: string; resume: string | undefined} {
  if (v === undefined) return {from: 'earliest', resume: undefined};
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw new FrameError(id, new MqError('INVALID_OFFSET', `from must be a non-negative integer below 2^53, got ${v}`, {field: 'from'}));
    return {from: String(v), resume: undefined};
  }
  if (typeof v !== 'string') throw new FrameError(id, new MqError('INVALID_FIELD', 'from must be earliest, latest, an offset or a stream position', {field: 'from'}));
  if (v === 'earliest' || v === 'latest' || /^\d{1,16}$/.test(v)) return {from: v, resume: undefined};
  if (v === '' || v.includes('=')) return {from: 'earliest', resume: v};
  throw new FrameError(id, new MqError('INVALID_OFFSET', `from must be earliest, latest, an offset or a stream position (p0=16,p1=3), got ${JSON.stringify(v)}`, {field: 'from'}));
}

/**
 * Parses and validates one text frame. Produce keeps its `messages` as the exact bytes received (a value is stored
 * byte for byte, as over HTTP) and is validated by the HTTP produce path itself.
 */
export function parseFrame(data: Buffer): ClientFrame {
  let doc: unknown;
  try {
    doc = JSON.parse(data.toString('utf8'));
  } catch (error) {
    throw new FrameError(null, new MqError('INVALID_JSON', `the frame is not valid JSON: ${(error as Error).message}`));
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new FrameError(null, new MqError('INVALID_FIELD', 'a frame must be a JSON object with a type and an id'));
  const d = doc as Record<string, unknown>;
  const id = idOf(d);
  if (d.type === undefined) throw new FrameError(id, new MqError('MISSING_FIELD', 'every frame needs a type', {field: 'type'}));
  if (typeof d.type !== 'string' || !(d.type in FIELDS)) {
    throw new FrameError(id, new MqError('INVALID_FIELD', `type must be one of ${Object.keys(FIELDS).join(', ')}, got ${JSON.stringify(d.type)}`, {field: 'type'}));
  }
  const type = d.type as ClientFrame['type'];
  for (const k of Object.keys(d)) {
    if (!FIELDS[type].has(k)) throw new FrameError(id, new MqError('UNKNOWN_FIELD', `unknown field ${JSON.stringify(k)} in a ${type} frame (allowed: ${[...FIELDS[type]].join(', ')})`, {field: k}));
  }
  switch (type) {
    case 'produce': {
      const topic = topicOf(id, d);
      if (d.messages === undefined) throw new FrameError(id, new MqError('MISSING_FIELD', 'produce needs messages (an array of message envelopes)', {field: 'messages'}));
      if (!Array.isArray(d.messages)) throw new FrameError(id, new MqError('INVALID_FIELD', 'messages must be an array of message envelopes', {field: 'messages'}));
      const acks = d.acks ?? 'all';
      if (acks !== 'all' && acks !== 'leader') throw new FrameError(id, new MqError('INVALID_FIELD', `acks must be all or leader, got ${JSON.stringify(acks)}`, {field: 'acks'}));
      const span = memberSpan(data, skipWs(data, 0), 'messages').span!;
      const body = Buffer.concat([Buffer.from('{"messages":'), data.subarray(span.start, span.end), Buffer.from('}')]);
      return {type, id, topic, acks, body};
    }
    case 'subscribe': {
      const topic = topicOf(id, d);
      const {from, resume} = fromOf(id, d.from);
      const p = d.partition;
      if (p !== undefined && (typeof p !== 'number' || !Number.isSafeInteger(p) || p < 0)) throw new FrameError(id, new MqError('INVALID_FIELD', 'partition must be a non-negative integer', {field: 'partition'}));
      if (d.key !== undefined && typeof d.key !== 'string') throw new FrameError(id, new MqError('INVALID_FIELD', 'key must be a string', {field: 'key'}));
      return {type, id, topic, from, resume, partition: p as number | undefined, key: d.key as string | undefined};
    }
    default:
      return {type, id};
  }
}

/** The error frame: the HTTP error body's `error`, with the request's id (null when it had none). */
export function errorFrame(id: FrameId | null, e: MqError): string {
  return `{"type":"error","id":${JSON.stringify(id)},"error":${JSON.stringify(e.toBody().error)}}`;
}
