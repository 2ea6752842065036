import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import {MATRIX, SMOKE, type MatrixRow} from './matrix.js';
import {describeResult, doneRows, rowLine, writeRow} from './report.js';
import {DEFAULTS, type RunOptions, type Unsafe, type Workload} from './result.js';
import {runChaos} from './runner.js';
import {FAULT_KINDS, type FaultKind} from './faults/schedule.js';

const HELP = `npm run chaos -- [options]             one run (any workloads, faults and duration)
npm run chaos -- --row ID [--seed N]    one row of the matrix (or of the smoke set)
npm run chaos -- --matrix [--rows a,b] [--resume] [--doc docs/reliability.md]
npm run chaos -- --list                 the matrix rows, the workloads and the faults

  --workload log,groups,queue,sse,slow  (default log)
  --fault K,K   one or more of: ${FAULT_KINDS.join(', ')}
  --duration 90s   --seed N   --partitions N   --brokers N   --route any|leader|mixed
  --fault-ms 2000-6000   --gap-ms 1000-4000   --batch N   --appenders N
  --unsafe ack-leader-only,no-dedup,no-fsync   --expect pass|fail   --audit-fsync
  --no-receipts   (queue messages without a producer id: no receipts written or checked)
  --out DIR (history.jsonl, result.json, broker logs; with --matrix one sub-directory per row; default a temp dir)   --json`;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function ms(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s.trim());
  if (!m) throw new Error(`not a duration: ${s}`);
  return Math.round(Number(m[1]) * (m[2] === 'm' ? 60_000 : m[2] === 'ms' ? 1 : 1000));
}

function range(s: string): [number, number] {
  const [a, b] = s.split('-').map(Number);
  return [a!, b ?? a!];
}

function list<T extends string>(s: string | undefined, allowed: readonly string[], what: string): T[] | undefined {
  if (s === undefined) return undefined;
  const xs = s.split(',').map((x) => x.trim()).filter(Boolean);
  for (const x of xs) if (!allowed.includes(x)) throw new Error(`unknown ${what} ${x} (one of ${allowed.join(', ')})`);
  return xs as T[];
}

function options(row: MatrixRow | undefined, v: Record<string, string | boolean | undefined>): RunOptions {
  const seed = v.seed !== undefined ? Number(v.seed) : (row ? 1 : Math.floor(Math.random() * 1e6));
  const name = row?.id ?? 'adhoc';
  const command = row ? `npm run chaos -- --row ${row.id} --seed ${seed}${typeof v.duration === 'string' ? ` --duration ${v.duration}` : ''}` : `npm run chaos -- ${process.argv.slice(2).filter((a) => a !== '--json').join(' ')}${v.seed === undefined ? ` --seed ${seed}` : ''}`;
  const o: RunOptions = {...DEFAULTS, durationMs: 90_000, ...row?.options, name, seed, command, outDir: v.out === undefined ? path.join(os.tmpdir(), `mq-chaos-${name}-${seed}-${process.pid}`) : v.matrix ? path.join(String(v.out), name) : String(v.out)};
  const s = (k: string): string | undefined => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  if (s('duration')) o.durationMs = ms(s('duration')!);
  o.workloads = list<Workload>(s('workload'), ['log', 'groups', 'queue', 'sse', 'slow'], 'workload') ?? o.workloads;
  o.faults = list<FaultKind>(s('fault'), FAULT_KINDS, 'fault') ?? o.faults;
  o.unsafe = list<Unsafe>(s('unsafe'), ['ack-leader-only', 'no-dedup', 'no-fsync'], 'unsafe flag') ?? o.unsafe;
  if (s('partitions')) o.partitions = Number(s('partitions'));
  if (s('brokers')) o.brokers = Number(s('brokers'));
  if (s('batch')) o.batch = Number(s('batch'));
  if (s('appenders')) o.appenders = Number(s('appenders'));
  if (s('route')) o.route = s('route') as RunOptions['route'];
  if (s('fault-ms')) o.faultMs = range(s('fault-ms')!);
  if (s('gap-ms')) o.gapMs = range(s('gap-ms')!);
  if (s('expect')) o.expect = s('expect') as RunOptions['expect'];
  if (v['audit-fsync']) o.auditFsync = true;
  if (v['no-receipts']) o.receipts = false;
  o.log = (line) => process.stderr.write(`[chaos ${name}] ${line}\n`);
  return o;
}

async function main(): Promise<number> {
  const {values} = parseArgs({
    options: Object.fromEntries(
      [...['workload', 'fault', 'duration', 'seed', 'partitions', 'brokers', 'route', 'fault-ms', 'gap-ms', 'batch', 'appenders', 'unsafe', 'expect', 'out', 'row', 'rows', 'doc'].map((k) => [k, {type: 'string' as const}]), ...['matrix', 'resume', 'list', 'json', 'audit-fsync', 'no-receipts', 'help'].map((k) => [k, {type: 'boolean' as const}])],
    ),
    strict: true,
  });
  const v = values as Record<string, string | boolean | undefined>;
  if (v.help) return (console.log(HELP), 0);
  if (v.list) {
    for (const r of [...MATRIX, ...SMOKE]) console.log(`${r.id.padEnd(26)} ${r.title}`);
    return 0;
  }
  if (v.matrix) {
    const doc = path.resolve(ROOT, String(v.doc ?? 'docs/reliability.md'));
    const wanted = v.rows ? String(v.rows).split(',') : MATRIX.map((r) => r.id);
    const done = v.resume ? doneRows(doc) : new Set<string>();
    let bad = 0;
    for (const row of MATRIX.filter((r) => wanted.includes(r.id) && !done.has(r.id))) {
      const r = await runChaos(options(row, v));
      console.log(describeResult(r));
      writeRow(doc, MATRIX.map((x) => x.id), rowLine(row, r));
      if (!r.ok) bad++;
    }
    return bad === 0 ? 0 : 1;
  }
  const row = v.row ? [...MATRIX, ...SMOKE].find((r) => r.id === v.row) : undefined;
  if (v.row && !row) throw new Error(`no matrix row ${String(v.row)} (see --list)`);
  const r = await runChaos(options(row, v));
  console.log(v.json ? JSON.stringify(r, null, 1) : describeResult(r));
  return r.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
