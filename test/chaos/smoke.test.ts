import os from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {SMOKE} from './matrix.js';
import {describeResult} from './report.js';
import {DEFAULTS, type RunOptions, type RunResult} from './result.js';
import {runChaos} from './runner.js';

/**
 * The CI smoke subset of the chaos suite (issue 8): short seeded runs of the same machinery as the matrix in
 * docs/reliability.md, on real broker processes behind the fault proxies. The four safety runs must come out with
 * no anomaly at all, and the positive control must make the checker fail (a checker that cannot fail proves
 * nothing). Runs one after another: five clusters at once would starve a 2-core CI machine.
 * Replay any of them with `npm run chaos -- --row <id> --seed 1`.
 */
const SEED = 1;

async function run(id: string): Promise<RunResult> {
  const row = SMOKE.find((r) => r.id === id)!;
  const o: RunOptions = {
    ...DEFAULTS,
    ...row.options,
    name: row.id,
    seed: SEED,
    command: `npm run chaos -- --row ${row.id} --seed ${SEED}`,
    outDir: path.join(os.tmpdir(), `mq-chaos-${row.id}-${SEED}-${process.pid}`),
    // the runs end with a drain; in CI a quiet cluster converges in well under these
    convergeMs: 20_000,
    drainMs: 10_000,
  };
  const r = await runChaos(o);
  // on failure the summary (anomalies with examples, the replay command, the out dir) is the first thing to read
  if (!r.ok) console.error(`${describeResult(r)}\n  history and result.json: ${o.outDir}`);
  return r;
}

describe.sequential('chaos - smoke subset on real brokers', {timeout: 90_000}, () => {
  it('chaos - kill -9 of the leader loses no acknowledged write', async () => {
    const r = await run('smoke-leader-kill');
    expect(r.anomalies).toEqual({});
    expect(r.counts.acknowledged).toBeGreaterThan(0);
    expect(r.figures.faults).toBeGreaterThan(0);
    expect(r.figures.leaderChanges).toBeGreaterThan(0);
  });

  it('chaos - a zombie leader (SIGSTOP, clients pinned to it) acknowledges nothing it should not', async () => {
    const r = await run('smoke-zombie');
    expect(r.anomalies).toEqual({});
    expect(r.counts.acknowledged).toBeGreaterThan(0);
    expect(r.figures.faults).toBeGreaterThan(0);
  });

  it('chaos - a leader isolated from its followers: log and stream groups stay correct', async () => {
    const r = await run('smoke-isolation');
    expect(r.anomalies).toEqual({});
    expect(r.counts.acknowledged).toBeGreaterThan(0);
    expect(r.figures.faults).toBeGreaterThan(0);
  });

  it('chaos - work queue with crashing workers and a leader kill: every enqueue ends exactly once', async () => {
    const r = await run('smoke-queue-crash');
    expect(r.anomalies).toEqual({});
    expect(r.counts.stuck).toBe(0);
    expect(r.figures.faults).toBeGreaterThan(0);
  });

  it('chaos - positive control: --unsafe-ack-leader-only makes the checker report lost acknowledged writes', async () => {
    const r = await run('smoke-pc-ack-leader-only');
    expect(r.anomalous).toBe(true);
    expect(r.counts.lost).toBeGreaterThan(0);
  });
});
