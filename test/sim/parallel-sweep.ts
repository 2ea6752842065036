import {fork, type ChildProcess} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import type {ChunkRequest} from './sweep-child.js';
import {addTotals, emptyTotals, type SweepResult} from './sweep.js';
import type {RunResult} from './simulator.js';

export interface ParallelSweepOptions extends Omit<ChunkRequest, 'from' | 'count'> {
  readonly from: number;
  readonly count: number;
  readonly jobs: number;
  readonly chunkSize: number;
  readonly onProgress?: (done: number, failures: number) => void;
}

type ChildMessage =
  | {type: 'progress'; seeds: number}
  | {type: 'result'; from: number; unreported: number; result: SweepResult};

/**
 * Spreads a sweep over forked processes (worker threads cannot load TypeScript through tsx on Node 20). Work is
 * handed out in chunks so fast and slow ranges balance; with stopOnFailure, no chunk above the lowest failing
 * seed is started, and every chunk below it finishes, so "caught at seed N" is exact.
 */
export function parallelSweep(opts: ParallelSweepOptions): Promise<SweepResult> {
  const end = opts.from + opts.count;
  let next = opts.from;
  let done = 0;
  let lowestFailure = Number.POSITIVE_INFINITY;
  const failures: RunResult[] = [];
  const totals = emptyTotals();
  let seedsRun = 0;
  const script = fileURLToPath(new URL('./sweep-child.ts', import.meta.url));

  return new Promise((resolve, reject) => {
    let live = 0;
    const dispatch = (child: ChildProcess) => {
      const limit = opts.stopOnFailure ? Math.min(end, lowestFailure) : end;
      if (next >= limit) {
        child.send('exit');
        return;
      }
      const count = Math.min(opts.chunkSize, limit - next);
      const req: ChunkRequest = {...chunkBase(opts), from: next, count};
      next += count;
      child.send(req);
    };
    for (let j = 0; j < Math.max(1, opts.jobs); j++) {
      const child = fork(script, [], {execArgv: ['--import', 'tsx']});
      live++;
      child.on('message', (m: ChildMessage) => {
        if (m.type === 'progress') {
          done += m.seeds;
        } else {
          done += m.unreported;
          seedsRun += m.result.seedsRun;
          addTotals(totals, m.result.totals);
          for (const f of m.result.failures) {
            failures.push(f);
            lowestFailure = Math.min(lowestFailure, f.seed);
          }
          dispatch(child);
        }
        opts.onProgress?.(done, failures.length);
      });
      child.on('error', reject);
      child.on('exit', (code) => {
        if (code !== 0) reject(new Error(`sweep worker exited with code ${code}`));
        if (--live === 0) {
          failures.sort((a, b) => a.seed - b.seed);
          const kept = opts.stopOnFailure ? failures.filter((f) => f.seed === lowestFailure) : failures;
          resolve({seedsRun, failures: kept, totals});
        }
      });
      dispatch(child);
    }
  });
}

function chunkBase(opts: ParallelSweepOptions): Omit<ChunkRequest, 'from' | 'count'> {
  return {
    stopOnFailure: opts.stopOnFailure,
    ...(opts.steps !== undefined ? {steps: opts.steps} : {}),
    ...(opts.bug !== undefined ? {bug: opts.bug} : {}),
  };
}
