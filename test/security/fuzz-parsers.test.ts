import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {formatPositions, parsePositions} from '../../src/broker/stream-position.js';
import {DEFAULT_LIMITS, type Limits} from '../../src/config/limits.js';
import {MqError} from '../../src/errors.js';
import {parseProduceBody, type ParsedMessage} from '../../src/protocol/produce-body.js';
import {encodeProduceBatch} from '../../src/protocol/produce-envelope.js';
import {intParam} from '../../src/server/http-util.js';
import {anyText, fuzz, mutate, outcome, ws} from './fuzz-kit.js';

/** Small count limits so that generated input crosses them often. */
const L: Limits = {...DEFAULT_LIMITS, headersCountMax: 3, batchMessagesMax: 6, keyBytesMax: 24};
const RUNS = 400;

interface Env {
  value: unknown;
  key?: string;
  headers?: Record<string, string>;
  priority?: number;
  partition?: number;
}

const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What the broker must say about one envelope: OK, or the code of its first problem (in parse order). */
function model(e: Env): string {
  if (e.key !== undefined && (LONE.test(e.key) || Buffer.byteLength(e.key) > L.keyBytesMax)) return LONE.test(e.key) ? 'INVALID_FIELD' : 'MESSAGE_TOO_LARGE';
  if (e.priority !== undefined && (e.priority < 0 || e.priority > 9)) return 'INVALID_FIELD';
  if (e.headers !== undefined) {
    const keys = Object.keys(e.headers);
    if (keys.length > L.headersCountMax) return 'INVALID_FIELD';
    for (const k of keys) {
      if (k === '' || k === '__proto__' || k === 'constructor' || k === 'prototype') return 'UNKNOWN_FIELD';
      if (LONE.test(k) || LONE.test(e.headers[k]!)) return 'INVALID_FIELD';
    }
  }
  if (e.partition !== undefined && e.partition < 0) return 'INVALID_FIELD';
  return 'OK';
}

const envelope: fc.Arbitrary<Env> = fc.record(
  {
    value: fc.jsonValue({maxDepth: 3}),
    key: anyText(30),
    headers: fc.dictionary(anyText(6), anyText(8), {maxKeys: 4}),
    priority: fc.integer({min: -2, max: 12}),
    partition: fc.integer({min: -1, max: 3}),
  },
  {requiredKeys: ['value']},
);

/** The envelope as JSON text, with whitespace between tokens; `valueText` is exactly what must be stored. */
function encode(e: Env, space: string): {text: string; valueText: string} {
  const valueText = JSON.stringify(e.value);
  const fields = [`"value"${space}:${space}${valueText}`];
  for (const k of ['key', 'headers', 'priority', 'partition'] as const) if (e[k] !== undefined) fields.push(`${JSON.stringify(k)}:${space}${JSON.stringify(e[k])}`);
  return {text: `{${space}${fields.join(`,${space}`)}${space}}`, valueText};
}

function expectMatches(m: ParsedMessage, e: Env, valueText: string): void {
  expect(m.value.toString('utf8')).toBe(valueText);
  expect(m.key).toBe(e.key ?? null);
  expect(m.priority).toBe(e.priority ?? 0);
  expect(m.partition).toBe(e.partition);
  const h = e.headers && Object.keys(e.headers).length > 0 ? e.headers : null;
  expect(m.headers === null ? null : JSON.parse(m.headers)).toEqual(h);
}

const codeOf = (fn: () => unknown): {code: string; error?: MqError} => {
  try {
    fn();
    return {code: 'OK'};
  } catch (error) {
    outcome(() => {
      throw error;
    });
    return {code: (error as MqError).code, error: error as MqError};
  }
};

describe('fuzz - request parsers', () => {
  it('one envelope: accepted exactly when valid, and then every field round-trips; otherwise the expected code', async () => {
    await fuzz(
      fc.property(envelope, ws, (e, space) => {
        const {text, valueText} = encode(e, space);
        const r = codeOf(() => parseProduceBody(Buffer.from(text), 'json', L));
        expect(r.code).toBe(model(e));
        if (r.code === 'OK') expectMatches(parseProduceBody(Buffer.from(text), 'json', L).messages[0]!, e, valueText);
      }),
      RUNS,
    );
  });

  it('a batch and the same messages as NDJSON agree: all accepted in order, or refused with every bad index listed', async () => {
    await fuzz(
      fc.property(fc.array(envelope, {minLength: 1, maxLength: 8}), ws, (envs, space) => {
        const enc = envs.map((e) => encode(e, space));
        const bodies = [
          {format: 'json' as const, buf: Buffer.from(`{"messages":${space}[${enc.map((x) => x.text).join(`,${space}`)}]}`)},
          // a line holds one envelope: whitespace inside it must not be a newline
          {format: 'ndjson' as const, buf: Buffer.from(envs.map((e) => encode(e, space.replace(/\n/g, ' ')).text).join('\n') + '\n')},
        ];
        const bad = envs.map((e, i) => [i, model(e)] as const).filter(([, c]) => c !== 'OK');
        for (const {format, buf} of bodies) {
          const r = codeOf(() => parseProduceBody(buf, format, L));
          if (envs.length > L.batchMessagesMax) {
            expect(r.code).toBe('BATCH_TOO_LARGE');
          } else if (bad.length > 0) {
            expect(r.code).toBe(bad[0]![1]);
            expect((r.error!.details!.errors as Array<{index: number}>).map((x) => x.index)).toEqual(bad.map(([i]) => i));
          } else {
            expect(r.code).toBe('OK');
            const parsed = parseProduceBody(buf, format, L);
            parsed.messages.forEach((m, i) => expectMatches(m, envs[i]!, enc[i]!.valueText));
            // what a broker forwards to another leader parses back to the same messages
            expect(parseProduceBody(encodeProduceBatch(parsed.messages), 'json', L).messages).toEqual(parsed.messages);
          }
        }
      }),
      RUNS,
    );
  });

  it('near-miss bodies (bytes flipped, cut, repeated) give a typed 4xx error or messages equal to what JSON.parse sees', async () => {
    const valid = fc.array(envelope, {minLength: 1, maxLength: 3}).map((envs) => Buffer.from(envs.length === 1 ? encode(envs[0]!, ' ').text : `{"messages":[${envs.map((e) => encode(e, '').text).join(',')}]}`));
    await fuzz(
      fc.property(mutate(valid), fc.constantFrom('json' as const, 'ndjson' as const), (buf, format) => {
        const r = codeOf(() => parseProduceBody(buf, format, L));
        if (r.code !== 'OK') return;
        const parsed = parseProduceBody(buf, format, L);
        const docs: unknown[] =
          format === 'ndjson'
            ? buf.toString('utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l))
            : ((d: {messages?: unknown[]}) => (parsed.single ? [d] : d.messages!))(JSON.parse(buf.toString('utf8')) as {messages?: unknown[]});
        expect(parsed.messages).toHaveLength(docs.length);
        parsed.messages.forEach((m, i) => {
          const doc = docs[i] as {value?: unknown; value_base64?: string};
          if ('value' in doc) expect(JSON.parse(m.value.toString('utf8'))).toEqual(doc.value);
          else expect(m.value.toString('base64')).toBe(doc.value_base64);
        });
      }),
      RUNS * 3,
    );
  });

  it('arbitrary bytes (invalid UTF-8 included) never escape as anything but a typed 4xx error', async () => {
    await fuzz(
      fc.property(fc.uint8Array({maxLength: 200}), fc.constantFrom('json' as const, 'ndjson' as const), (bytes, format) => {
        outcome(() => parseProduceBody(Buffer.from(bytes), format, L));
      }),
      RUNS,
    );
  });

  it('integer query parameters: accepted exactly when canonical, non-negative and below 2^53', async () => {
    const candidates = fc.oneof(fc.string({maxLength: 20}), fc.maxSafeNat().map(String), fc.bigInt({min: -(2n ** 60n), max: 2n ** 60n}).map(String), fc.double().map(String));
    await fuzz(
      fc.property(candidates, (s) => {
        const r = codeOf(() => intParam({offset: s}, 'offset', 0, 'INVALID_OFFSET'));
        const canonical = /^(0|[1-9][0-9]*)$/.test(s) && Number.isSafeInteger(Number(s));
        expect(r.code).toBe(canonical ? 'OK' : 'INVALID_OFFSET');
        if (canonical) expect(String(intParam({offset: s}, 'offset', 0))).toBe(s);
      }),
      RUNS,
    );
  });

  it('stream positions (Last-Event-ID): arbitrary text is a position map or 400 BAD_REQUEST; positions round-trip', async () => {
    await fuzz(
      fc.property(fc.oneof(fc.string({maxLength: 40}), fc.array(fc.tuple(fc.nat(1000), fc.maxSafeNat()), {maxLength: 5}).map((ps) => ps.map(([p, o]) => `p${p}=${o}`).join(','))), (s) => {
        const r = codeOf(() => parsePositions(s));
        expect(['OK', 'BAD_REQUEST']).toContain(r.code);
        if (r.code === 'OK') {
          const pos = parsePositions(s);
          expect(parsePositions(formatPositions(pos))).toEqual(pos);
          for (const [p, o] of pos) expect(Number.isSafeInteger(p) && Number.isSafeInteger(o) && o >= 0).toBe(true);
        }
      }),
      RUNS,
    );
  });
});
