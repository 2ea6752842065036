import type {BugName} from './bugs.js';
import {runSeed, type RunResult, type SimStats} from './simulator.js';

export interface SweepOptions {
  readonly from: number;
  readonly count: number;
  readonly steps?: number;
  readonly bug?: BugName;
  /** Stop at the first failing seed (what a positive control wants). */
  readonly stopOnFailure?: boolean;
  readonly onProgress?: (done: number, failures: number) => void;
}

export interface SweepTotals {
  events: number;
  simulatedMs: number;
  elections: number;
  acked: number;
  crashes: number;
  snapshotsInstalled: number;
  configChanges: number;
  messagesSent: number;
  /** The slowest recovery after healing, in election timeouts, with and without pre-vote (the liveness bounds' margins). */
  maxRecoveryPreVote: number;
  maxRecoveryNoPreVote: number;
  /** The slowest convergence of every member after that commit, in election timeouts. */
  maxConvergence: number;
}

export interface SweepResult {
  readonly seedsRun: number;
  readonly failures: RunResult[];
  readonly totals: SweepTotals;
}

export function emptyTotals(): SweepTotals {
  return {
    events: 0, simulatedMs: 0, elections: 0, acked: 0, crashes: 0,
    snapshotsInstalled: 0, configChanges: 0, messagesSent: 0, maxRecoveryPreVote: 0, maxRecoveryNoPreVote: 0, maxConvergence: 0,
  };
}

export function addStats(t: SweepTotals, s: SimStats): void {
  t.events += s.events;
  t.simulatedMs += s.simulatedMs;
  t.elections += s.elections;
  t.acked += s.acked;
  t.crashes += s.crashes;
  t.snapshotsInstalled += s.snapshotsInstalled;
  t.configChanges += s.configChanges;
  t.messagesSent += s.messagesSent;
  if (Number.isFinite(s.recoveryElectionTimeouts)) {
    if (s.preVote) t.maxRecoveryPreVote = Math.max(t.maxRecoveryPreVote, s.recoveryElectionTimeouts);
    else t.maxRecoveryNoPreVote = Math.max(t.maxRecoveryNoPreVote, s.recoveryElectionTimeouts);
  }
  if (Number.isFinite(s.convergenceElectionTimeouts)) t.maxConvergence = Math.max(t.maxConvergence, s.convergenceElectionTimeouts);
}

export function addTotals(t: SweepTotals, u: SweepTotals): void {
  for (const k of Object.keys(t) as (keyof SweepTotals)[]) {
    t[k] = k.startsWith('max') ? Math.max(t[k], u[k]) : t[k] + u[k];
  }
}

export function sweep(opts: SweepOptions): SweepResult {
  const failures: RunResult[] = [];
  const totals = emptyTotals();
  let seedsRun = 0;
  for (let seed = opts.from; seed < opts.from + opts.count; seed++) {
    const r = runSeed({seed, ...(opts.steps !== undefined ? {steps: opts.steps} : {}), ...(opts.bug !== undefined ? {bug: opts.bug} : {})});
    seedsRun++;
    addStats(totals, r.stats);
    if (!r.ok) {
      failures.push(r);
      if (opts.stopOnFailure) break;
    }
    opts.onProgress?.(seedsRun, failures.length);
  }
  return {seedsRun, failures, totals};
}

/** What a failing seed prints: the violation, the last events before it, and how to replay it. */
export function formatFailure(r: RunResult, opts: {steps?: number; bug?: BugName} = {}): string {
  const extra = `${opts.steps !== undefined ? ` --steps ${opts.steps}` : ''}${opts.bug !== undefined ? ` --bug ${opts.bug}` : ''}`;
  return [
    `seed ${r.seed} FAILED at t=${r.failure?.atMs}ms: ${r.failure?.message}`,
    'last events:',
    ...r.trace.map((l) => `  ${l}`),
    `replay: MQ_SIM_SEED=${r.seed} npm run sim --${extra}   (or: npm run sim -- --seed ${r.seed}${extra})`,
  ].join('\n');
}
