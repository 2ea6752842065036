import {describe, expect, it} from 'vitest';
import {Balancer, type Candidate} from '../../src/lb/balancer.js';
import {UpstreamHealth} from '../../src/lb/upstream-health.js';
import {ManualClock} from '../../src/util/clock.js';

const up = (url: string, inFlight = 0, eligible = true, ejectedOnly = false): Candidate => ({url, inFlight, eligible, ejectedOnly});
const picks = (b: Balancer, list: Candidate[], n: number): string[] => Array.from({length: n}, () => b.pick(list)!.url);

describe('lb balancer - strategies', () => {
  it('round-robin walks the eligible upstreams in order', () => {
    const b = new Balancer('round-robin');
    expect(picks(b, [up('a'), up('b'), up('c')], 6)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    expect(picks(b, [up('a'), up('b', 0, false), up('c')], 4)).toEqual(['a', 'c', 'a', 'c']);
  });

  it('least-in-flight takes the fewest requests in flight, alternating between equals', () => {
    const b = new Balancer('least-in-flight');
    expect(picks(b, [up('a', 5), up('b', 1), up('c', 3)], 2)).toEqual(['b', 'b']);
    expect(picks(new Balancer('least-in-flight'), [up('a', 2), up('b', 2), up('c', 2)], 4)).toEqual(['a', 'b', 'c', 'a']);
  });

  it('a retry goes to an upstream not tried yet, then to any eligible one', () => {
    const b = new Balancer('round-robin');
    const list = [up('a'), up('b'), up('c')];
    expect(b.pick(list, new Set(['a', 'b']))!.url).toBe('c');
    expect(b.pick(list, new Set(['a', 'b', 'c']))).toBeDefined();
  });

  it('with none eligible: the passively ejected first, then any (panic routing), never nothing while the list has one', () => {
    const b = new Balancer('round-robin');
    expect(b.pick([up('a', 0, false), up('b', 0, false, true)])!.url).toBe('b');
    expect(b.pick([up('a', 0, false), up('b', 0, false)], new Set(['a']))!.url).toBe('b');
    expect(b.pick([up('a', 0, false)], new Set(['a']))!.url).toBe('a');
    expect(b.pick([])).toBeUndefined();
  });
});

describe('lb upstream health - active checks and passive ejection', () => {
  const settings = {rise: 2, fall: 3, maxFails: 2, failTimeoutMs: 10_000};

  it('the first check decides; then it takes `fall` failures in a row to go down and `rise` successes to come back', () => {
    const h = new UpstreamHealth(settings, new ManualClock());
    expect(h.state).toBe('unknown');
    expect(h.eligible).toBe(true);
    expect(h.checkResult(true)).toBe('up');
    expect(h.checkResult(false)).toBeUndefined();
    expect(h.checkResult(false)).toBeUndefined();
    expect(h.checkResult(true)).toBeUndefined(); // the run of failures is broken
    for (let i = 0; i < 2; i++) expect(h.checkResult(false)).toBeUndefined();
    expect(h.checkResult(false, 'ECONNREFUSED')).toBe('down');
    expect(h.eligible).toBe(false);
    expect(h.lastError).toBe('ECONNREFUSED');
    expect(h.checkResult(true)).toBeUndefined();
    expect(h.checkResult(true)).toBe('up');
    const fresh = new UpstreamHealth(settings, new ManualClock());
    expect(fresh.checkResult(false)).toBe('down');
  });

  it('max_fails failures within fail_timeout eject for fail_timeout; older failures do not count', () => {
    const clock = new ManualClock();
    const h = new UpstreamHealth(settings, clock);
    h.checkResult(true);
    expect(h.requestFailed('reset')).toBe(false);
    clock.advance(10_001); // the first failure is out of the window
    expect(h.requestFailed('reset')).toBe(false);
    clock.advance(5000);
    expect(h.requestFailed('reset')).toBe(true);
    expect(h.state).toBe('ejected');
    expect(h.eligible).toBe(false);
    expect(h.ejections).toBe(1);
    clock.advance(9999);
    expect(h.eligible).toBe(false);
    clock.advance(1);
    expect(h.state).toBe('up');
    expect(h.eligible).toBe(true);
  });
});
