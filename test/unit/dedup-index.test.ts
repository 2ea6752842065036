import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {DedupIndex} from '../../src/broker/dedup-index.js';

describe('DedupIndex - the in-memory de-duplication window', () => {
  it('finds every id it holds, at its offset', () => {
    const d = new DedupIndex(1_000_000);
    for (let i = 0; i < 5000; i++) d.add(`id-${i}`, i, 1000 + i);
    for (let i = 0; i < 5000; i += 37) expect(d.candidates(`id-${i}`)).toContain(i);
    expect(d.candidates('never-seen')).toEqual([]);
    expect(d.size).toBe(5000);
  });

  it('expires entries older than the cutoff, in insertion order', () => {
    const d = new DedupIndex(100);
    d.add('a', 0, 10);
    d.add('b', 1, 20);
    d.add('c', 2, 30);
    d.expire(21);
    expect(d.candidates('a')).toEqual([]);
    expect(d.candidates('b')).toEqual([]);
    expect(d.candidates('c')).toEqual([2]);
    expect(d.size).toBe(1);
  });

  it('evicts the oldest entries beyond its capacity and counts them', () => {
    const d = new DedupIndex(3);
    ['a', 'b', 'c', 'd'].forEach((id, i) => d.add(id, i, i));
    expect(d.candidates('a')).toEqual([]);
    expect(d.candidates('d')).toEqual([3]);
    expect(d.evictions).toBe(1);
  });

  it('forgets the adds of a rolled-back transaction', () => {
    const d = new DedupIndex(100);
    d.add('kept', 0, 1);
    const mark = d.mark();
    d.add('rolled-back', 1, 1);
    d.truncate(mark);
    expect(d.size).toBe(1);
    // a stale slot may remain as a candidate; it points at an offset the caller then checks against the log
    d.add('next', 1, 2);
    expect(d.candidates('next')).toEqual([1]);
    expect(d.candidates('kept')).toEqual([0]);
  });

  it('agrees with a Map model under random adds and expiries (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({maxLength: 12}), fc.nat(5)), {maxLength: 300}), fc.nat(50), (ops, windowMs) => {
        const d = new DedupIndex(1_000_000);
        const model = new Map<string, {off: number; ts: number}>();
        let ts = 0;
        ops.forEach(([id, dt], off) => {
          ts += dt;
          d.expire(ts - windowMs);
          for (const [k, v] of model) if (v.ts < ts - windowMs) model.delete(k);
          if (!model.has(id)) {
            model.set(id, {off, ts});
            d.add(id, off, ts);
          }
        });
        for (const [id, v] of model) expect(d.candidates(id)).toContain(v.off);
      }),
      {numRuns: 200},
    );
  });
});
