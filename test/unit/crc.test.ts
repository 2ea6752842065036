import {crc32} from 'node:zlib';
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {messageCrc, messageFingerprint, ValueType, type NewMessage} from '../../src/storage/index.js';

/** The canonical byte encoding the CRC is defined over (docs/architecture.md), built the slow, obvious way. */
function canonical(m: NewMessage, ts: number): Buffer {
  const u32 = (v: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return b;
  };
  const str = (s: string | null): Buffer => {
    if (s === null) return u32(0);
    const units = Buffer.alloc(s.length * 2);
    for (let i = 0; i < s.length; i++) units.writeUInt16LE(s.charCodeAt(i), i * 2);
    return Buffer.concat([u32(s.length + 1), units]);
  };
  const n64 = (n: number): Buffer => Buffer.concat([u32(n % 2 ** 32), u32(Math.floor(n / 2 ** 32))]);
  return Buffer.concat([n64(ts), u32((m.priority << 8) | m.valueType), str(m.id), str(m.key), str(m.producer), str(m.headers), n64(m.notBefore), m.value]);
}

const message = fc.record({
  id: fc.option(fc.string({maxLength: 40}), {nil: null}),
  key: fc.option(fc.string({maxLength: 40}), {nil: null}),
  producer: fc.option(fc.string({maxLength: 10}), {nil: null}),
  priority: fc.integer({min: 0, max: 9}),
  headers: fc.option(fc.string({maxLength: 40}), {nil: null}),
  valueType: fc.constantFrom(ValueType.Json, ValueType.Binary),
  value: fc.uint8Array({maxLength: 300}).map((a) => Buffer.from(a)),
  notBefore: fc.integer({min: 0, max: 2 ** 50}),
});

describe('message CRC', () => {
  it('equals zlib CRC-32 over the canonical encoding (property)', () => {
    fc.assert(
      fc.property(message, fc.integer({min: 0, max: 2 ** 50}), (m, ts) => {
        expect(messageCrc(m, ts)).toBe(crc32(canonical(m, ts)));
      }),
    );
  });

  it('tells null from empty and field boundaries apart', () => {
    const base: NewMessage = {id: null, key: 'ab', producer: null, priority: 0, headers: null, valueType: ValueType.Json, value: Buffer.from('1'), notBefore: 0};
    expect(messageCrc(base, 1)).not.toBe(messageCrc({...base, key: ''}, 1));
    expect(messageCrc(base, 1)).not.toBe(messageCrc({...base, key: 'a', producer: 'b'}, 1));
    expect(messageCrc(base, 1)).not.toBe(messageCrc(base, 2));
  });

  it('fingerprints the payload, not the id or the time', () => {
    const a: NewMessage = {id: 'x', key: 'k', producer: 'P1', priority: 1, headers: '{"h":"1"}', valueType: ValueType.Json, value: Buffer.from('{"a":1}'), notBefore: 0};
    const retry: NewMessage = {...a, id: 'y', producer: 'P2', notBefore: 12345};
    expect(messageFingerprint(a)).toBe(messageFingerprint(retry));
    expect(messageFingerprint(a)).not.toBe(messageFingerprint({...a, value: Buffer.from('{"a":2}')}));
    expect(messageFingerprint(a)).not.toBe(messageFingerprint({...a, priority: 2}));
    expect(messageFingerprint(a)).not.toBe(messageFingerprint({...a, headers: null}));
  });
});
