import {describe, expect, test} from 'vitest';
import {Inflights} from '../../src/cluster/raft/inflights.js';
import {Progress} from '../../src/cluster/raft/progress.js';

describe('flow control state', () => {
  test('inflights - frees acknowledged messages in order and bounds the window', () => {
    const w = new Inflights(3);
    w.add(5);
    w.add(7);
    w.add(9);
    expect(w.full()).toBe(true);
    expect(() => w.add(10)).toThrow(/full/);
    w.freeLE(7);
    expect(w.count).toBe(1);
    w.add(12);
    w.add(15);
    w.freeFirstOne();
    expect(w.count).toBe(2);
    w.freeLE(100);
    expect(w.count).toBe(0);
  });

  test('progress - probe pauses after one message; a success switches to replicate', () => {
    const p = new Progress(11, 2, false);
    expect(p.isPaused()).toBe(false);
    p.probeSent = true;
    expect(p.isPaused()).toBe(true);
    expect(p.maybeUpdate(10)).toBe(true);
    p.becomeReplicate();
    expect([p.state, p.match, p.next, p.isPaused()]).toEqual(['replicate', 10, 11, false]);
  });

  test('progress - a stale rejection does not move next backwards again', () => {
    const p = new Progress(11, 2, false);
    expect(p.maybeDecrTo(10, 4)).toBe(true);
    expect(p.next).toBe(5);
    // A second answer to the same (already handled) probe is ignored.
    expect(p.maybeDecrTo(10, 2)).toBe(false);
    expect(p.next).toBe(5);
  });

  test('progress - in replicate, a rejection above match falls back to match + 1', () => {
    const p = new Progress(11, 4, false);
    p.maybeUpdate(8);
    p.becomeReplicate();
    p.next = 15;
    expect(p.maybeDecrTo(6, 0)).toBe(false);
    expect(p.maybeDecrTo(12, 0)).toBe(true);
    expect(p.next).toBe(9);
  });

  test('progress - after a snapshot, probing resumes just past it', () => {
    const p = new Progress(3, 4, false);
    p.becomeSnapshot(20);
    expect(p.isPaused()).toBe(true);
    p.becomeProbe();
    expect([p.state, p.next]).toEqual(['probe', 21]);
  });
});
