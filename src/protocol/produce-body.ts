import {isUtf8} from 'node:buffer';
import {MqError, type ErrorCode} from '../errors.js';
import type {Limits} from '../config/limits.js';
import {ValueType, type NewMessage} from '../storage/types.js';
import {memberSpan, skipWs, spansInArrayMember, type Span} from './json-span.js';

export interface ParsedMessage extends NewMessage {
  partition?: number;
  /** Deliver to work queues no sooner than this long after the message is written. */
  delayMs?: number;
}

export interface ParsedProduce {
  /** true for a single-message envelope: the reply is that message's result (or its error status). */
  single: boolean;
  messages: ParsedMessage[];
}

export type BodyFormat = 'json' | 'ndjson';

export const ENVELOPE_FIELDS = new Set(['value', 'value_base64', 'key', 'id', 'producer', 'priority', 'headers', 'partition', 'delay_ms', 'not_before']);
const BATCH_FIELDS = new Set(['messages']);
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ERRORS_LISTED_MAX = 100;
/** JSON allows "\ud800", but a lone surrogate is not Unicode text: stored as UTF-8 it would read back as U+FFFD. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

type Limit = Pick<Limits, 'messageBytesMax' | 'batchMessagesMax' | 'keyBytesMax' | 'idBytesMax' | 'producerBytesMax' | 'headersCountMax' | 'headersBytesMax' | 'delayMsMax'>;

class FieldError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

function fail(code: ErrorCode, message: string, field?: string): never {
  throw new FieldError(code, message, field);
}

function optString(env: Record<string, unknown>, field: string, maxBytes: number): string | null {
  const v = env[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') fail('INVALID_FIELD', `${field} must be a string`, field);
  if (field !== 'key' && v.length === 0) fail('INVALID_FIELD', `${field} must not be empty`, field);
  if (LONE_SURROGATE.test(v)) fail('INVALID_FIELD', `${field} holds a lone UTF-16 surrogate escape (not Unicode text)`, field);
  if (Buffer.byteLength(v) > maxBytes) fail(field === 'key' ? 'MESSAGE_TOO_LARGE' : 'INVALID_FIELD', `${field} is longer than ${maxBytes} bytes`, field);
  return v;
}

function headersOf(v: unknown, limits: Limit): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) fail('INVALID_FIELD', 'headers must be an object of string values', 'headers');
  const keys = Object.keys(v);
  if (keys.length === 0) return null;
  if (keys.length > limits.headersCountMax) fail('INVALID_FIELD', `at most ${limits.headersCountMax} headers`, 'headers');
  for (const k of keys) {
    if (k.length === 0 || FORBIDDEN_KEYS.has(k)) fail('UNKNOWN_FIELD', `header name ${JSON.stringify(k)} is not allowed`, 'headers');
    if (typeof (v as Record<string, unknown>)[k] !== 'string') fail('INVALID_FIELD', `header ${JSON.stringify(k)} must be a string`, 'headers');
    if (LONE_SURROGATE.test(k) || LONE_SURROGATE.test((v as Record<string, string>)[k]!)) fail('INVALID_FIELD', `header ${JSON.stringify(k)} holds a lone UTF-16 surrogate escape`, 'headers');
  }
  const text = JSON.stringify(v);
  if (Buffer.byteLength(text) > limits.headersBytesMax) fail('MESSAGE_TOO_LARGE', `headers exceed ${limits.headersBytesMax} bytes`, 'headers');
  return text;
}

function intField(env: Record<string, unknown>, field: string, min: number, max: number): number | undefined {
  const v = env[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail('INVALID_FIELD', `${field} must be an integer in [${min}, ${max}]`, field);
  return v;
}

/** Validates one envelope. `raw` is the exact byte span of its `value` member, when there is one. */
export function toMessage(env: unknown, raw: Buffer | undefined, limits: Limit): ParsedMessage {
  if (typeof env !== 'object' || env === null || Array.isArray(env)) fail('INVALID_FIELD', 'a message must be a JSON object');
  const e = env as Record<string, unknown>;
  for (const k of Object.keys(e)) {
    if (!ENVELOPE_FIELDS.has(k)) fail('UNKNOWN_FIELD', `unknown field ${JSON.stringify(k)} (allowed: ${[...ENVELOPE_FIELDS].join(', ')})`, k);
  }
  const hasValue = 'value' in e;
  const hasB64 = 'value_base64' in e;
  if (hasValue === hasB64) fail(hasValue ? 'INVALID_FIELD' : 'MISSING_FIELD', 'give exactly one of value and value_base64', 'value');
  let value: Buffer;
  let valueType: ValueType;
  if (hasValue) {
    value = raw!;
    valueType = ValueType.Json;
  } else {
    const b = e.value_base64;
    if (typeof b !== 'string' || !BASE64.test(b)) fail('INVALID_FIELD', 'value_base64 must be standard padded base64', 'value_base64');
    value = Buffer.from(b, 'base64');
    valueType = ValueType.Binary;
  }
  if (value.length > limits.messageBytesMax) fail('MESSAGE_TOO_LARGE', `value is ${value.length} bytes; the maximum is ${limits.messageBytesMax}`, 'value');
  const m: ParsedMessage = {
    id: optString(e, 'id', limits.idBytesMax),
    key: optString(e, 'key', limits.keyBytesMax),
    producer: optString(e, 'producer', limits.producerBytesMax),
    priority: intField(e, 'priority', 0, 9) ?? 0,
    headers: headersOf(e.headers, limits),
    valueType,
    value,
    notBefore: intField(e, 'not_before', 0, Number.MAX_SAFE_INTEGER) ?? 0,
  };
  const partition = intField(e, 'partition', 0, 2 ** 31 - 1);
  if (partition !== undefined) m.partition = partition;
  const delay = intField(e, 'delay_ms', 0, limits.delayMsMax);
  if (delay !== undefined && delay > 0) {
    if (m.notBefore > 0) fail('INVALID_FIELD', 'give at most one of delay_ms and not_before', 'delay_ms');
    m.delayMs = delay;
  }
  return m;
}

function parseJsonText(buf: Buffer, what: string): unknown {
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (error) {
    throw new MqError('INVALID_JSON', `${what} is not valid JSON: ${(error as Error).message}`);
  }
}

function spanOf(buf: Buffer, span: Span | undefined): Buffer | undefined {
  return span && buf.subarray(span.start, span.end);
}

/** Turns per-message failures into one request error: the first failure's code, with every failure listed. */
function batchError(errors: Array<{index: number; error: FieldError}>, label: string): MqError {
  const first = errors[0]!;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return new MqError(first.error.code, `${label} ${first.index}: ${first.error.message}${more}; nothing was written`, {
    errors: errors.slice(0, ERRORS_LISTED_MAX).map((x) => ({index: x.index, code: x.error.code, message: x.error.message, ...(x.error.field ? {field: x.error.field} : {})})),
  });
}

function convert(items: Array<{env: unknown; raw: Buffer | undefined}>, limits: Limit, label: string): ParsedMessage[] {
  if (items.length === 0) throw new MqError('MISSING_FIELD', 'the batch holds no messages');
  if (items.length > limits.batchMessagesMax) {
    throw new MqError('BATCH_TOO_LARGE', `the batch holds ${items.length} messages; the maximum is ${limits.batchMessagesMax}`);
  }
  const out: ParsedMessage[] = [];
  const errors: Array<{index: number; error: FieldError}> = [];
  items.forEach((it, index) => {
    try {
      out.push(toMessage(it.env, it.raw, limits));
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      errors.push({index, error});
    }
  });
  if (errors.length > 0) throw batchError(errors, label);
  return out;
}

/**
 * Parses a produce body: one envelope, {"messages": [...]}, or NDJSON (one envelope per line). The whole batch is
 * validated before anything is written; values keep their exact bytes.
 */
export function parseProduceBody(buf: Buffer, format: BodyFormat, limits: Limit): ParsedProduce {
  if (!isUtf8(buf)) throw new MqError('INVALID_JSON', 'the body is not valid UTF-8');
  if (format === 'ndjson') {
    const items: Array<{env: unknown; raw: Buffer | undefined}> = [];
    let start = 0;
    let line = 0;
    while (start < buf.length) {
      let end = buf.indexOf(0x0a, start);
      if (end === -1) end = buf.length;
      line++;
      const text = buf.subarray(start, end);
      if (skipWs(text, 0) < text.length) {
        const env = parseJsonText(text, `line ${line}`);
        const i = skipWs(text, 0);
        items.push({env, raw: text[i] === 0x7b ? spanOf(text, memberSpan(text, i, 'value').span) : undefined});
      }
      start = end + 1;
    }
    return {single: false, messages: convert(items, limits, 'line')};
  }
  const doc = parseJsonText(buf, 'the body');
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new MqError('INVALID_FIELD', 'the body must be a message object or {"messages": [...]}');
  }
  if ('messages' in doc) {
    for (const k of Object.keys(doc)) {
      if (!BATCH_FIELDS.has(k)) throw new MqError('UNKNOWN_FIELD', `unknown field ${JSON.stringify(k)} next to messages`);
    }
    const list = (doc as {messages: unknown}).messages;
    if (!Array.isArray(list)) throw new MqError('INVALID_FIELD', 'messages must be an array');
    const spans = list.length <= limits.batchMessagesMax ? spansInArrayMember(buf, 'messages', 'value') : [];
    return {single: false, messages: convert(list.map((env, i) => ({env, raw: spanOf(buf, spans[i])})), limits, 'message')};
  }
  try {
    return {single: true, messages: [toMessage(doc, spanOf(buf, memberSpan(buf, skipWs(buf, 0), 'value').span), limits)]};
  } catch (error) {
    if (error instanceof FieldError) throw new MqError(error.code, error.message, error.field ? {field: error.field} : undefined);
    throw error;
  }
}
