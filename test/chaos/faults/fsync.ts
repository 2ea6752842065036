import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {pair} from '../lib/history.js';
import type {ChaosCluster} from '../lib/chaos-cluster.js';
import type {History} from '../lib/history.js';
import type {AppendReq, AppendRes} from '../lib/model.js';
import {audit, parseTrace, type Ack, type Violation} from '../../helpers/fsync-audit.js';

/**
 * The no-fsync positive control needs a tracer, not a kill: `kill -9` keeps the page cache, so a broker that never
 * fsyncs loses nothing to it (DESIGN §9). Every broker runs under strace; afterwards, for every acknowledged
 * single-message append, the broker that answered it must have written the message to its WAL, fsynced the WAL,
 * and only then written the response (test/helpers/fsync-audit.ts, the same audit as test/e2e/fsync-audit.test.ts).
 */
export function straceWrap(traceFile: string): string[] {
  let strace: string;
  try {
    strace = execFileSync('sh', ['-c', 'command -v strace'], {encoding: 'utf8'}).trim();
  } catch {
    throw new Error('strace is required for the fsync audit (apt-get install strace)');
  }
  return [strace, '-f', '-qq', '-o', traceFile, '-s', '9000', '-e', 'trace=openat,close,pwrite64,pwritev,write,writev,sendmsg,sendto,fsync,fdatasync'];
}

export interface FsyncReport {
  audited: number;
  violations: Array<{node: number; problem: Violation['problem']}>;
}

/** Stops the brokers (so their traces are complete) and audits each one's acknowledgements. */
export async function auditRun(cluster: ChaosCluster, history: History, outDir: string): Promise<FsyncReport> {
  for (const id of cluster.ids) await cluster.kill(id);
  const byNode = new Map<number, Ack[]>();
  for (const a of pair(history.ops)) {
    if (a.f !== 'append' || a.type !== 'ok' || a.node === undefined) continue;
    const req = a.req as AppendReq;
    const res = a.res as AppendRes;
    if (req.messages.length !== 1 || res.acks.length !== 1 || res.acks[0]!.duplicate) continue;
    (byNode.get(a.node) ?? byNode.set(a.node, []).get(a.node)!).push({marker: req.messages[0]!.value, response: `"offset":${res.acks[0]!.offset},`});
  }
  const report: FsyncReport = {audited: 0, violations: []};
  for (const [node, acks] of byNode) {
    const file = path.join(outDir, `strace-${node}.txt`);
    const events = parseTrace(fs.readFileSync(file, 'utf8'));
    report.audited += acks.length;
    for (const v of audit(events, acks)) report.violations.push({node, problem: v.problem});
  }
  return report;
}
