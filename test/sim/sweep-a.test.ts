import {describe, expect, test} from 'vitest';
import {defineSweep} from './ci-sweep.js';
import {runSeed} from './simulator.js';

describe('raft simulator, first half of the CI seeds', () => {
  defineSweep(0);

  test('simulator - a seed replays identically (what makes MQ_SIM_SEED useful)', () => {
    for (const seed of [7, 1234, 99_999]) {
      const a = runSeed({seed, traceLines: 1000});
      const b = runSeed({seed, traceLines: 1000});
      expect(b.stats).toEqual(a.stats);
      expect(b.trace).toEqual(a.trace);
      expect(a.trace.length).toBeGreaterThan(10);
    }
  });
});
