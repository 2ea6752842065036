/**
 * The benchmark engine behind `mq bench` and `bench/compare.ts`: workloads (engine.ts) over a target (mq, or a peer
 * broker through the same interface), HDR latency histograms, reports as text, JSON and CSV with the commit and
 * config, and live progress on a terminal.
 */
import {runWorkload, type WorkloadResult} from './engine.js';
import {runFailoverWorkload} from './failover-workload.js';
import {MqTarget} from './mq-target.js';
import type {BenchOptions} from './options.js';
import {Progress} from './progress.js';
import {banner, buildReport, type BenchReport} from './report.js';
import {runInfo} from './run-info.js';
import type {BenchTarget} from './target.js';

export {resolveOptions, WORKLOADS, type BenchOptions, type Workload} from './options.js';
export {parseKeys} from './payload.js';
export {banner, csvReport, jsonReport, textReport, type BenchReport} from './report.js';
export type {BenchMessage, BenchTarget, PrepareSpec, Received, TargetConsumer, TargetProducer} from './target.js';
export {MqTarget} from './mq-target.js';
export {runWorkload, type WorkloadResult} from './engine.js';
export {runInfo} from './run-info.js';

export interface RunBenchOptions {
  url: string;
  token?: string;
  /** PEM CA to trust for an https URL. */
  ca?: string;
  /** Another system to drive instead of mq at `url` (bench/compare.ts). */
  target?: BenchTarget;
  /** Live progress (on stderr when it is a terminal); off for --json and --csv. */
  progress?: boolean;
  /** Failover: lines about each kill. */
  log?: (line: string) => void;
  /** Called with the banner (parameters, target, commit, machine) before the run starts. */
  started?: (banner: string[]) => void;
}

/** Runs one workload and returns its report (the caller renders it). */
export async function runBench(o: BenchOptions, r: RunBenchOptions): Promise<BenchReport> {
  const info = runInfo();
  let result: WorkloadResult;
  if (o.workload === 'failover') {
    r.started?.(banner(o, info, 'a local cluster of 3 mq broker processes (started now)'));
    result = await runFailoverWorkload(o, r.log ?? (() => {}));
  } else {
    const target = r.target ?? new MqTarget({url: r.url, token: r.token, ca: r.ca, acks: o.acks, consumeMode: o.consumeMode, connections: o.producers * (o.rate ? 8 : 1) + o.consumers + 4});
    r.started?.(banner(o, info, target.describe()));
    const progress = new Progress();
    const live = r.progress !== false && progress.enabled;
    try {
      result = await runWorkload(o, target, live ? {phaseStarted: (phase, state) => progress.start(phase, state), phaseEnded: () => progress.stop()} : {});
    } finally {
      progress.stop();
      await target.close();
    }
  }
  return buildReport(o, info, result);
}
