import fs from 'node:fs';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {Supervisor, type ChildSpec, type SupervisorState} from '../../src/up/supervisor.js';
import {running} from '../../src/up/up-pid.js';
import {tempDir, waitFor} from '../helpers/broker.js';

/**
 * Real child processes standing in for brokers: each writes its ready file (rename, as brokers do) and then, by
 * mode, serves until SIGTERM, crashes after a while, or crashes before it is ever ready.
 */
const CHILD = `
const fs = require('node:fs');
const [ready, mode] = process.argv.slice(1);
const serve = () => { fs.writeFileSync(ready + '.tmp', JSON.stringify({url: 'http://child/' + process.pid})); fs.renameSync(ready + '.tmp', ready); };
if (mode === 'never-ready') process.exit(3);
serve();
process.on('SIGTERM', () => process.exit(0));
if (mode === 'crash-once' && !fs.existsSync(ready + '.crashed')) setTimeout(() => { fs.writeFileSync(ready + '.crashed', ''); process.exit(7); }, 50);
setInterval(() => {}, 1000);
`;

let sup: Supervisor | undefined;
afterEach(async () => {
  await sup?.stop(2000);
  sup = undefined;
});

function make(modes: Record<string, string>, opts: {restart?: boolean} = {}) {
  const dir = tempDir('mq-sup-');
  const logs: Array<{msg: string; fields?: Record<string, unknown>}> = [];
  const specs: ChildSpec[] = Object.entries(modes).map(([name, mode]) => ({
    name,
    kind: name === 'lb' ? 'lb' : 'broker',
    readyFile: path.join(dir, `${name}.ready`),
    outFile: path.join(dir, `${name}.out`),
    args: ['-e', CHILD, path.join(dir, `${name}.ready`), mode],
  }));
  const stateFile = path.join(dir, 'state.json');
  sup = new Supervisor(specs, {command: {cmd: process.execPath, args: []}, env: process.env, restart: opts.restart ?? true, stateFile, backoffMs: 20, log: (msg, fields) => logs.push({msg, fields})});
  const state = () => JSON.parse(fs.readFileSync(stateFile, 'utf8')) as SupervisorState;
  return {sup, logs, state};
}

describe('mq up - the supervisor', () => {
  it('restarts a child that exits unexpectedly, counts and logs it, and stops every child with SIGTERM', async () => {
    const {sup, logs, state} = make({'broker-1': 'serve', 'broker-2': 'crash-once', lb: 'serve'});
    await sup.start(10_000);
    await waitFor(() => state().children.find((c) => c.name === 'broker-2' && c.restarts === 1 && c.state === 'running'), {timeoutMs: 10_000, what: 'broker-2 restarted'});
    const b2 = state().children.find((c) => c.name === 'broker-2')!;
    expect(b2.last_exit).toMatchObject({code: 7, signal: null});
    expect(state().children.filter((c) => c.name !== 'broker-2').map((c) => c.restarts)).toEqual([0, 0]);
    expect(logs.find((l) => l.msg === 'child exited unexpectedly; restarting')?.fields).toMatchObject({child: 'broker-2', code: 7, restart_in_ms: 20, restarts: 1});
    const pids = state().children.map((c) => c.pid!);
    await sup.stop(5000);
    expect(pids.filter(running)).toEqual([]);
    expect(state().children.map((c) => [c.state, c.last_exit?.code])).toEqual([['stopped', 0], ['stopped', 0], ['stopped', 0]]);
  });

  it('with restart off (--no-restart), leaves a dead child dead', async () => {
    const {sup, state} = make({'broker-1': 'crash-once'}, {restart: false});
    await sup.start(10_000);
    await waitFor(() => state().children[0]!.state === 'exited', {timeoutMs: 10_000, what: 'broker-1 exited'});
    expect(state().children[0]).toMatchObject({restarts: 0, pid: null, last_exit: {code: 7}});
  });

  it('fails start() when a child exits before it was ever ready, without restarting it', async () => {
    const {sup, state} = make({'broker-1': 'serve', 'broker-2': 'never-ready'});
    await expect(sup.start(10_000)).rejects.toThrow(/broker-2 exited before it was ready \(code 3\)/);
    expect(state().children.find((c) => c.name === 'broker-2')).toMatchObject({state: 'exited', restarts: 0});
  });
});
