import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {MqClient} from '../../src/client/index.js';
import {tempDir} from '../helpers/broker.js';
import {audit, parseTrace, type Ack} from '../helpers/fsync-audit.js';
import {spawnBroker} from '../helpers/process.js';

function strace(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v strace'], {encoding: 'utf8'}).trim();
  } catch {
    throw new Error('strace is required for the fsync audit (apt-get install strace; .ci/run installs it)');
  }
}

/** Runs a broker under strace, acknowledges single-message produces (sequential and concurrent), audits the trace. */
async function tracedRun(brokerArgs: string[]): Promise<{acks: Ack[]; violations: ReturnType<typeof audit>; events: number}> {
  const dir = tempDir('mq-audit-');
  const traceFile = path.join(dir, 'trace.txt');
  const wrap = [strace(), '-f', '-qq', '-o', traceFile, '-s', '9000', '-e', 'trace=openat,close,pwrite64,pwritev,write,writev,sendmsg,sendto,fsync,fdatasync'];
  const b = await spawnBroker({dataDir: path.join(dir, 'data'), args: brokerArgs, wrap});
  const client = new MqClient({url: b.url});
  const acks: Ack[] = [];
  try {
    await client.createTopic({name: 'audit'});
    const send = async (n: number): Promise<void> => {
      const marker = `audit-marker-${n}-${Math.random().toString(36).slice(2)}`;
      const r = await client.produceOne('audit', {id: `m-${n}`, value: marker});
      acks.push({marker, response: `"offset":${r.offset},`});
    };
    for (let i = 0; i < 10; i++) await send(i);
    for (let round = 0; round < 3; round++) await Promise.all(Array.from({length: 8}, (_, k) => send(100 + round * 10 + k)));
  } finally {
    await client.close();
    b.kill('SIGTERM');
    await b.exited;
  }
  const events = parseTrace(fs.readFileSync(traceFile, 'utf8'));
  const violations = audit(events, acks);
  fs.rmSync(dir, {recursive: true, force: true});
  return {acks, violations, events: events.length};
}

describe('durability - fsync audit by tracing the broker (DESIGN §9)', () => {
  it('fsyncs the WAL after each acknowledged write and before its response (synchronous=FULL)', async () => {
    const r = await tracedRun([]);
    expect(r.acks).toHaveLength(34);
    expect(r.violations).toEqual([]);
  }, 90_000);

  it('positive control: synchronous=NORMAL fails the audit', async () => {
    const r = await tracedRun(['--unsafe-no-fsync', '--synchronous', 'normal']);
    expect(r.violations.length).toBe(r.acks.length);
    expect(r.violations.every((v) => v.problem === 'WAL not fsynced between its write and the response')).toBe(true);
  }, 90_000);

  it('positive control: --unsafe-no-fsync fails the audit', async () => {
    const r = await tracedRun(['--unsafe-no-fsync']);
    expect(r.violations.length).toBe(r.acks.length);
  }, 90_000);
});
