import {execFile, spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {tempDir, waitFor} from './broker.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The `mq` under test: bin/run.js by default, or the single executable with MQ_BIN=dist/mq. */
export function mqCommand(): string[] {
  const bin = process.env.MQ_BIN;
  if (bin) return [path.resolve(ROOT, bin)];
  return [process.execPath, path.join(ROOT, 'bin/run.js')];
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `mq <args>` as a user would, with a timeout; never throws on a non-zero exit. */
export function runMq(args: string[], opts: {cwd?: string; env?: Record<string, string>; input?: string; timeoutMs?: number} = {}): Promise<RunResult> {
  const [cmd, ...pre] = mqCommand();
  return new Promise((resolve) => {
    const child = execFile(
      cmd!,
      [...pre, ...args],
      {cwd: opts.cwd, env: {...process.env, NO_COLOR: '1', ...opts.env}, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024},
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({code, stdout, stderr});
      },
    );
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

export interface BrokerChild {
  url: string;
  pid: number;
  dataDir: string;
  proc: ChildProcess;
  exited: Promise<number | null>;
  /** Output so far (stdout + stderr), for failure messages. */
  output(): string;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Starts `mq broker start` as a separate process on port 0 and waits for its ready file. `wrap` runs it under
 * another program (strace ...).
 */
export async function spawnBroker(opts: {dataDir?: string; args?: string[]; wrap?: string[]; env?: Record<string, string>} = {}): Promise<BrokerChild> {
  const dataDir = opts.dataDir ?? tempDir();
  const readyFile = path.join(tempDir('mq-ready-'), 'ready.json');
  const [cmd, ...pre] = mqCommand();
  const argv = [...pre, 'broker', 'start', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--ready-file', readyFile, '--log-level', 'warn', ...(opts.args ?? [])];
  const full = opts.wrap ? [...opts.wrap, cmd!, ...argv] : [cmd!, ...argv];
  const proc = spawn(full[0]!, full.slice(1), {env: {...process.env, ...opts.env}, stdio: ['ignore', 'pipe', 'pipe']});
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  let dead = false;
  void exited.then(() => (dead = true));
  await waitFor(
    () => {
      if (dead) throw new Error(`broker exited before it was ready:\n${out}`);
      return fs.existsSync(readyFile);
    },
    {timeoutMs: 30_000, what: 'broker ready file'},
  ).catch((error: unknown) => {
    proc.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${out}`);
  });
  const ready = JSON.parse(fs.readFileSync(readyFile, 'utf8')) as {url: string; pid: number};
  return {url: ready.url, pid: ready.pid, dataDir, proc, exited, output: () => out, kill: (s = 'SIGTERM') => process.kill(ready.pid, s)};
}
