/**
 * The simulator from the command line (`npm run sim -- ...`):
 *   --seeds N   sweep N seeds (from --from, default 1) over --jobs processes (default: all cores)
 *   --seed N    run one seed and print its trace; MQ_SIM_SEED=N does the same
 *   --steps N   length of the fault phase in ticks (default 150)
 *   --bug NAME  run a positive control: succeed only if the simulator catches the broken variant
 *   --verbose   with --seed: trace every persisted write and message
 */
import {availableParallelism} from 'node:os';
import {parseArgs} from 'node:util';
import {BUG_NAMES, isBugName, type BugName} from './bugs.js';
import {parallelSweep} from './parallel-sweep.js';
import {DEFAULT_CHAOS_TICKS} from './params.js';
import {CONVERGENCE_BOUND_ELECTION_TIMEOUTS, LIVENESS_BOUND_ELECTION_TIMEOUTS, runSeed} from './simulator.js';
import {formatFailure, type SweepResult} from './sweep.js';

const {values} = parseArgs({
  options: {
    seeds: {type: 'string'},
    seed: {type: 'string'},
    from: {type: 'string', default: '1'},
    steps: {type: 'string'},
    bug: {type: 'string'},
    jobs: {type: 'string'},
    verbose: {type: 'boolean', default: false},
  },
});

function int(name: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < 0) usage(`--${name} must be a non-negative integer, got ${s}`);
  return n;
}

function usage(message: string): never {
  process.stderr.write(`${message}\nbugs: ${BUG_NAMES.join(', ')}\n`);
  process.exit(2);
}

const bug: BugName | undefined = values.bug === undefined ? undefined : isBugName(values.bug) ? values.bug : usage(`unknown --bug ${values.bug}`);
const steps = int('steps', values.steps);
const single = int('seed', values.seed ?? process.env['MQ_SIM_SEED']);

if (single !== undefined) {
  const r = runSeed({seed: single, ...(steps !== undefined ? {steps} : {}), ...(bug !== undefined ? {bug} : {}), traceLines: values.verbose ? 100_000 : 80, verbose: values.verbose});
  process.stdout.write(r.ok ? `seed ${single} ok\n${JSON.stringify(r.stats)}\n` : `${formatFailure(r, {steps, bug})}\n`);
  process.exit(r.ok === (bug === undefined) ? 0 : 1);
}

const count = int('seeds', values.seeds) ?? 1000;
const from = int('from', values.from)!;
const jobs = int('jobs', values.jobs) ?? availableParallelism();
const started = performance.now();
let lastPrint = 0;
process.stdout.write(`simulating seeds ${from}..${from + count - 1} on ${jobs} processes, ${steps ?? DEFAULT_CHAOS_TICKS} fault ticks each${bug ? `, bug ${bug}` : ''}\n`);
const result: SweepResult = await parallelSweep({
  from, count, jobs, chunkSize: 250, stopOnFailure: bug !== undefined,
  ...(steps !== undefined ? {steps} : {}), ...(bug !== undefined ? {bug} : {}),
  onProgress: (done, failures) => {
    const now = performance.now();
    if (now - lastPrint < 2000 && done < count) return;
    lastPrint = now;
    process.stdout.write(`  ${done}/${count} seeds, ${failures} failing, ${Math.round(done / ((now - started) / 1000))} seeds/s\n`);
  },
});
const seconds = (performance.now() - started) / 1000;
for (const f of result.failures.slice(0, 5)) process.stdout.write(`\n${formatFailure(f, {steps, bug})}\n`);
const t = result.totals;
process.stdout.write(
  `\n${result.seedsRun} seeds in ${seconds.toFixed(1)}s (${Math.round(result.seedsRun / seconds)} seeds/s), ${result.failures.length} failing\n` +
    `  ${t.events} events, ${(t.simulatedMs / 1000).toFixed(0)}s simulated, ${t.elections} elections, ${t.acked} entries acknowledged,\n` +
    `  ${t.crashes} crashes, ${t.snapshotsInstalled} snapshots installed, ${t.configChanges} membership changes committed,\n` +
    `  slowest commit after healing: ${t.maxRecoveryPreVote.toFixed(2)} election timeouts with pre-vote (bound ${LIVENESS_BOUND_ELECTION_TIMEOUTS.preVote}), ` +
    `${t.maxRecoveryNoPreVote.toFixed(2)} without (bound ${LIVENESS_BOUND_ELECTION_TIMEOUTS.noPreVote})\n` +
    `  slowest convergence of every member after it: ${t.maxConvergence.toFixed(2)} election timeouts (bound ${CONVERGENCE_BOUND_ELECTION_TIMEOUTS})\n`,
);
if (bug !== undefined) {
  const caught = result.failures[0];
  process.stdout.write(caught ? `bug ${bug} caught at seed ${caught.seed} (${caught.seed - from + 1} seeds)\n` : `bug ${bug} NOT caught in ${count} seeds\n`);
  process.exit(caught ? 0 : 1);
}
process.exit(result.failures.length === 0 ? 0 : 1);
