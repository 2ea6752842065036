import type {PhaseResult, WorkloadResult} from './engine.js';
import type {LatencySummary} from './histogram.js';
import type {ClientStats} from './load.js';
import {configRecord, type BenchOptions} from './options.js';
import type {RunInfo} from './run-info.js';

/** What --json prints: where and when, every parameter, every phase with its per-client lines. */
export interface BenchReport {
  tool: 'mq bench';
  info: RunInfo;
  config: Record<string, string | number>;
  result: WorkloadResult;
}

export function buildReport(o: BenchOptions, info: RunInfo, result: WorkloadResult): BenchReport {
  return {tool: 'mq bench', info, config: configRecord(o), result};
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (n: number): string => (n < 10 ? n.toFixed(3) : n < 100 ? n.toFixed(2) : n.toFixed(1));

export function banner(o: BenchOptions, info: RunInfo, targetDescription: string): string[] {
  const amount = o.messages !== undefined ? `${int(o.messages)} messages` : `${((o.durationMs ?? 0) / 1000).toFixed(0)} s`;
  const rate = o.rate ? `, fixed rate ${int(o.rate)} msg/s (latency from each send's scheduled time)` : '';
  const lines = [
    o.workload === 'failover'
      ? `mq bench failover: ${o.kills} leader kills of a 3-broker local cluster under an acks=all load (${o.producers} load loop(s))`
      : `mq bench ${o.workload}: ${amount} of ${o.size} B, ${o.producers} producer(s), ${o.consumers} consumer(s), ${o.batch} per request, ${o.fetchMax} per fetch, acks=${o.acks}, ${o.partitions} partition(s), keys ${configRecord(o).keys}${rate}`,
    `target: ${targetDescription}`,
    `mq ${info.version}, commit ${info.commit}, ${info.date}, node ${info.node}, ${info.cpus} cpus (${info.cpuModel}), ${info.memoryGiB} GiB; client and broker share the machine`,
  ];
  return lines;
}

function latencyLine(label: string, l: LatencySummary): string {
  return `${label} p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  p99.9 ${ms(l.p999)}  max ${ms(l.max)} ms  (${int(l.count)} samples)`;
}

function clientLine(c: ClientStats): string {
  const rate = c.seconds > 0 ? c.messages / c.seconds : 0;
  return `  ${c.role} ${c.index}: ${int(c.messages)} msgs  ${int(rate)} msg/s  p50 ${ms(c.latency.p50)} ms  p99 ${ms(c.latency.p99)} ms${c.errors ? `  errors ${c.errors}` : ''}`;
}

const LATENCY_LABEL: Record<PhaseResult['latencyOf'], string> = {
  request: 'request latency',
  poll: 'poll latency',
  'end-to-end': 'produce -> consume',
  processed: 'produce -> processed',
};

export function phaseLines(p: PhaseResult, perClient: boolean): string[] {
  const lines = [
    `${p.phase.padEnd(18)} ${int(p.msgsPerSec).padStart(10)} msg/s  ${p.mbPerSec.toFixed(1).padStart(6)} MB/s  ${int(p.messages)} msgs in ${p.seconds.toFixed(2)} s  errors ${p.errors}${p.firstError ? ` (first: ${p.firstError})` : ''}`,
    `${' '.repeat(19)}${latencyLine(LATENCY_LABEL[p.latencyOf], p.latency)}`,
  ];
  if (p.uncorrected) lines.push(`${' '.repeat(19)}${latencyLine('uncorrected (service time)', p.uncorrected)}`);
  if (perClient && p.clients.length > 1) lines.push(...p.clients.map(clientLine));
  return lines;
}

/** The whole report; `withBanner: false` when the banner was printed as the run started. */
export function textReport(r: BenchReport, o: BenchOptions, withBanner = true): string {
  const lines = withBanner ? [...banner(o, r.info, r.result.targetDescription), ''] : [];
  for (const p of r.result.phases) lines.push(...phaseLines(p, p.phase !== 'prefill'));
  if (r.result.failover) {
    const f = r.result.failover;
    lines.push(`kill -9 to a new leader     p50 ${int(f.election_p50_ms!)} ms  max ${int(f.election_max_ms!)} ms  (${f.kills} kills)`);
    lines.push(`kill -9 to the next ack     p50 ${int(f.unavailable_p50_ms!)} ms  max ${int(f.unavailable_max_ms!)} ms`);
    lines.push(`load: ${int(f.acked!)} acknowledged, ${int(f.failed_requests!)} failed requests; check: ${f.lost} lost, ${f.acked_twice} offsets acknowledged twice, ${f.duplicate_ids} ids stored twice, ${f.gaps} gaps`);
  }
  return lines.join('\n');
}

export function jsonReport(r: BenchReport): string {
  return JSON.stringify(r);
}

const CSV_HEAD = ['commit', 'date', 'target', 'workload', 'phase', 'client', 'role', 'messages', 'bytes', 'seconds', 'msgs_per_sec', 'mb_per_sec', 'errors', 'latency_of', 'p50_ms', 'p90_ms', 'p99_ms', 'p999_ms', 'max_ms', 'mean_ms'];

function csvCell(v: string | number): string {
  const s = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : v;
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One header, then per phase an `all` row and a row per client; every row carries the commit and the whole config. */
export function csvReport(r: BenchReport): string {
  const configKeys = Object.keys(r.config);
  const rows: Array<Array<string | number>> = [];
  const base = [r.info.commit, r.info.date, r.result.target, r.result.workload];
  const lat = (l: LatencySummary): number[] => [l.p50, l.p90, l.p99, l.p999, l.max, l.mean];
  for (const p of r.result.phases) {
    rows.push([...base, p.phase, 'all', '', p.messages, p.bytes, p.seconds, p.msgsPerSec, p.mbPerSec, p.errors, p.latencyOf, ...lat(p.latency)]);
    for (const c of p.clients) rows.push([...base, p.phase, c.index, c.role, c.messages, c.bytes, c.seconds, c.seconds > 0 ? c.messages / c.seconds : 0, c.seconds > 0 ? c.bytes / c.seconds / 1e6 : 0, c.errors, p.latencyOf, ...lat(c.latency)]);
  }
  for (const [k, v] of Object.entries(r.result.failover ?? {})) rows.push([...base, k, 'all', '', v, '', '', '', '', '', '', '', '', '', '', '', '']);
  const head = [...CSV_HEAD, ...configKeys.map((k) => `config_${k}`)];
  const lines = [head.join(',')];
  for (const row of rows) lines.push([...row, ...configKeys.map((k) => r.config[k]!)].map(csvCell).join(','));
  return lines.join('\n');
}
