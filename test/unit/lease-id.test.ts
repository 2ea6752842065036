import {describe, expect, it} from 'vitest';
import {leaseId, parseLeaseId} from '../../src/broker/queue/lease-id.js';
import {randomHex} from '../../src/util/random-pool.js';
import {uuid7} from '../../src/util/uuid7.js';

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

describe('uuid7 from the shared random pool', () => {
  it('is a version 7 UUID, sorts by creation and never repeats across refills of the pool', () => {
    const ids = Array.from({length: 1000}, () => uuid7(1_795_000_000_000));
    for (const id of ids.slice(0, 5)) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });
});
