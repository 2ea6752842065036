import {describe, expect, test} from 'vitest';
import {BUG_NAMES} from './bugs.js';
import {SIM_TEST_TIMEOUT_MS} from './ci-sweep.js';
import {sweep} from './sweep.js';

/**
 * Positive controls: each deliberately broken variant must make the simulator fail within 1000 seeds. If one
 * stops failing, the fault schedule has gone soft (or the invariant checks have), and green sweeps mean nothing.
 */
export const CONTROL_SEED_BUDGET = 1000;

describe('raft simulator positive controls', () => {
  for (const bug of BUG_NAMES) {
    test(`simulator - catches the broken variant "${bug}" within ${CONTROL_SEED_BUDGET} seeds`, () => {
      const r = sweep({from: 1, count: CONTROL_SEED_BUDGET, bug, stopOnFailure: true});
      const caught = r.failures[0];
      expect(caught, `bug ${bug} was not caught in ${CONTROL_SEED_BUDGET} seeds`).toBeDefined();
      // A broken variant must break a safety property (or trip a library assertion), not just be slow.
      expect(caught!.failure!.kind).not.toBe('liveness');
      process.stdout.write(`positive control ${bug}: caught at seed ${caught!.seed} (${caught!.failure!.kind})\n`);
    }, SIM_TEST_TIMEOUT_MS);
  }
});
