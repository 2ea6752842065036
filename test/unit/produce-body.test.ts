import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {DEFAULT_LIMITS} from '../../src/config/limits.js';
import {MqError} from '../../src/errors.js';
import {parseProduceBody} from '../../src/protocol/produce-body.js';

const L = DEFAULT_LIMITS;
const parse = (text: string, format: 'json' | 'ndjson' = 'json') => parseProduceBody(Buffer.from(text), format, L);
const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    if (error instanceof MqError) return error.code;
    throw error;
  }
  return 'OK';
};

describe('produce body parsing', () => {
  it('keeps the exact bytes of each value, whitespace and number spelling included', () => {
    const r = parse('{"messages": [ {"value" : {"a": 1.50 ,"b":[ ]}, "key":"k"}, {"key":"\\u0076alue","value":"x\\ny"} ]}');
    expect(r.single).toBe(false);
    expect(r.messages.map((m) => m.value.toString())).toEqual(['{"a": 1.50 ,"b":[ ]}', '"x\\ny"']);
    expect(r.messages[1]!.key).toBe('value');
  });

  it('finds the value even when a key is escaped or repeated (the last wins, as in JSON.parse)', () => {
    expect(parse('{"\\u0076alue": [1,2]}').messages[0]!.value.toString()).toBe('[1,2]');
    expect(parse('{"value": 1, "value": {"x":2}}').messages[0]!.value.toString()).toBe('{"x":2}');
  });

  it('parses NDJSON, skipping blank lines, and reports bad lines by number', () => {
    const r = parse('{"value":1}\n\n  \n{"value":"two"}\r\n', 'ndjson');
    expect(r.messages.map((m) => m.value.toString())).toEqual(['1', '"two"']);
    expect(() => parse('{"value":1}\n{"value":\n', 'ndjson')).toThrow(/line 2/);
  });

  it('decodes value_base64 into bytes', () => {
    const m = parse('{"value_base64":"AAH/"}').messages[0]!;
    expect([...m.value]).toEqual([0, 1, 255]);
    expect(m.valueType).toBe(1);
  });

  it('rejects bad envelopes with stable codes', () => {
    expect(code(() => parse('{"value":1,"colour":"red"}'))).toBe('UNKNOWN_FIELD');
    expect(code(() => parse('{"value":1,"__proto__":{"x":1}}'))).toBe('UNKNOWN_FIELD');
    expect(code(() => parse('{"value":1,"constructor":{}}'))).toBe('UNKNOWN_FIELD');
    expect(code(() => parse('{"value":1,"headers":{"__proto__":"x"}}'))).toBe('UNKNOWN_FIELD');
    expect(code(() => parse('{"key":"k"}'))).toBe('MISSING_FIELD');
    expect(code(() => parse('{"value":1,"value_base64":"AA=="}'))).toBe('INVALID_FIELD');
    expect(code(() => parse('{"value":1,"priority":10}'))).toBe('INVALID_FIELD');
    expect(code(() => parse('{"value":1,"priority":1.5}'))).toBe('INVALID_FIELD');
    expect(code(() => parse('{"value":1,"partition":-1}'))).toBe('INVALID_FIELD');
    expect(code(() => parse('{"value":1,"partition":1e400}'))).toBe('INVALID_FIELD');
    expect(code(() => parse('{"value":1,"key":5}'))).toBe('INVALID_FIELD');
    expect(code(() => parse('{"value":1,"id":""}'))).toBe('INVALID_FIELD');
    expect(code(() => parse('{"value":1,"headers":{"a":1}}'))).toBe('INVALID_FIELD');
    expect(code(() => parse('{"value_base64":"not base64!"}'))).toBe('INVALID_FIELD');
    expect(code(() => parse('[{"value":1}]'))).toBe('INVALID_FIELD');
    expect(code(() => parse('{"messages":{"value":1}}'))).toBe('INVALID_FIELD');
    expect(code(() => parse('{"messages":[],"extra":1}'))).toBe('UNKNOWN_FIELD');
    expect(code(() => parse('{"messages":[]}'))).toBe('MISSING_FIELD');
    expect(code(() => parse('{"value":'))).toBe('INVALID_JSON');
    expect(code(() => parseProduceBody(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), 'json', L))).toBe('INVALID_JSON');
  });

  it('enforces size and count limits', () => {
    const small = {...L, messageBytesMax: 10, batchMessagesMax: 2};
    expect(code(() => parseProduceBody(Buffer.from('{"value":"01234567890"}'), 'json', small))).toBe('MESSAGE_TOO_LARGE');
    expect(code(() => parseProduceBody(Buffer.from('{"messages":[{"value":1},{"value":2},{"value":3}]}'), 'json', small))).toBe('BATCH_TOO_LARGE');
  });

  it('validates a batch whole and lists every bad message', () => {
    try {
      parse('{"messages":[{"value":1},{"value":2,"bogus":1},{"nope":1}]}');
      expect.unreachable();
    } catch (error) {
      const e = error as MqError;
      expect(e.code).toBe('UNKNOWN_FIELD');
      expect(e.written).toBe(false);
      expect((e.details!.errors as Array<{index: number}>).map((x) => x.index)).toEqual([1, 2]);
    }
  });

  it('returns every value byte-identical for arbitrary JSON (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), {minLength: 1, maxLength: 20}), fc.boolean(), (values, pretty) => {
        const texts = values.map((v) => JSON.stringify(v, null, pretty ? 2 : undefined));
        const body = `{"messages":[${texts.map((t, i) => `{"key":"k${i}","value":${t}}`).join(',')}]}`;
        expect(parse(body).messages.map((m) => m.value.toString())).toEqual(texts);
      }),
    );
  });

  it('never throws anything but a typed error on arbitrary input (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.uint8Array().map((a) => Buffer.from(a).toString('latin1'))), fc.constantFrom('json', 'ndjson') as fc.Arbitrary<'json' | 'ndjson'>, (text, format) => {
        try {
          parse(text, format);
        } catch (error) {
          expect(error).toBeInstanceOf(MqError);
        }
      }),
      {numRuns: 500},
    );
  });
});
