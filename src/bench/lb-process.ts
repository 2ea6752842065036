import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {StatusModel} from '../observe/status-model.js';
import {mqCommand, until, type NodeProcess} from './local-cluster.js';

export interface LbProcess extends NodeProcess {
  status(): Promise<StatusModel>;
  /** SIGTERM (a graceful drain) by default; waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * A real `mq lb` process (bin/run.js, or the single executable in MQ_BIN) on a free port, returned once it listens:
 * for the lb's end-to-end tests and its benchmark. `args` are its flags (--upstream/--discover, health settings).
 */
export async function startLbProcess(args: string[], opts: {env?: Record<string, string>; logFile?: string} = {}): Promise<LbProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-lb-'));
  const readyFile = path.join(dir, 'ready.json');
  const [cmd, ...pre] = mqCommand();
  const defaults = args.includes('--log-level') ? [] : ['--log-level', 'info'];
  const argv = [...pre, 'lb', '--listen', '127.0.0.1:0', '--ready-file', readyFile, ...defaults, ...(opts.logFile ? ['--log-file', opts.logFile] : []), ...args];
  const proc = spawn(cmd!, argv, {env: {...process.env, ...opts.env}, stdio: ['ignore', 'pipe', 'pipe']});
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  let dead = false;
  void exited.then(() => (dead = true));
  try {
    await until(
      () => {
        if (dead) throw new Error(`mq lb exited before it was ready:\n${out}`);
        return fs.existsSync(readyFile);
      },
      30_000,
      'the lb\'s ready file',
    );
  } catch (error) {
    proc.kill('SIGKILL');
    fs.rmSync(dir, {recursive: true, force: true});
    throw error;
  }
  const ready = JSON.parse(fs.readFileSync(readyFile, 'utf8')) as {url: string; pid: number};
  fs.rmSync(dir, {recursive: true, force: true});
  return {
    url: ready.url,
    pid: ready.pid,
    proc,
    exited,
    output: () => out,
    status: async () => (await (await fetch(`${ready.url}/status`)).json()) as StatusModel,
    stop: async (signal = 'SIGTERM') => {
      if (!dead) proc.kill(signal);
      return exited;
    },
  };
}
