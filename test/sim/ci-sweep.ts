import {expect, test} from 'vitest';
import {runSeed} from './simulator.js';
import {formatFailure, sweep} from './sweep.js';

/**
 * The CI sweep, shared by sweep-*.test.ts so that vitest's two workers each take one half. MQ_SIM_SEED=n turns
 * each half into a replay of seed n, printing its trace.
 */
export const CI_SEEDS = 6_000;
/** Generous, so a loaded CI machine fails on a real violation rather than on the clock (vitest's default is 30 s). */
export const SIM_TEST_TIMEOUT_MS = 120_000;

export function defineSweep(half: 0 | 1): void {
  const replay = process.env['MQ_SIM_SEED'];
  const from = replay !== undefined ? Number(replay) : 1 + half * (CI_SEEDS / 2);
  const count = replay !== undefined ? 1 : CI_SEEDS / 2;

  test(`simulator - seeds ${from}..${from + count - 1} keep every safety and liveness invariant`, () => {
    const r = sweep({from, count});
    for (const f of r.failures.slice(0, 3)) process.stdout.write(`\n${formatFailure(f)}\n`);
    if (replay !== undefined && r.failures.length === 0) process.stdout.write(`seed ${replay} ok\n${runSeed({seed: from, traceLines: 80}).trace.join('\n')}\n`);
    expect(r.failures.map((f) => `seed ${f.seed}: ${f.failure?.message}`)).toEqual([]);
    // A simulator that never fails proves something only if it actually exercised the hard paths.
    if (replay === undefined) {
      const t = r.totals;
      expect(t.elections).toBeGreaterThan(2 * count);
      expect(t.crashes).toBeGreaterThan(3 * count);
      expect(t.acked).toBeGreaterThan(20 * count);
      expect(t.snapshotsInstalled).toBeGreaterThan(count / 4);
      expect(t.configChanges).toBeGreaterThan(count / 4);
    }
  }, SIM_TEST_TIMEOUT_MS);
}
