import {describe, expect, it} from 'vitest';
import {leaseId, parseLeaseId} from '../../src/broker/queue/lease-id.js';
import {randomHex} from '../../src/util/random-hex.js';

describe('lease ids', () => {
  it('name the partition, offset and delivery, and parse back', () => {
    const id = leaseId(7, 123_456, 3);
    expect(id).toMatch(/^L7\.123456\.3\.[0-9a-f]{12}$/);
    expect(parseLeaseId(id)).toEqual({pid: 7, offset: 123_456, delivery: 3});
    expect(parseLeaseId(`${id}0`)).toBeUndefined();
    expect(parseLeaseId('L7.1.1.zzzzzzzzzzzz')).toBeUndefined();
  });

  it('carry a random part that does not repeat across refills of the random pool', () => {
    const seen = new Set<string>();
    // 6 bytes each: about three refills of the 4 KiB pool
    for (let i = 0; i < 2000; i++) seen.add(leaseId(1, 1, 1));
    expect(seen.size).toBe(2000);
  });
});

describe('randomHex', () => {
  it('returns the asked number of bytes as hex, a fresh run each call', () => {
    const a = randomHex(16);
    const b = randomHex(16);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(b).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
    expect(() => randomHex(5000)).toThrow(RangeError);
  });
});
