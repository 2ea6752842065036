import {spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {freePort, until} from '../../src/bench/local-cluster.js';

/** A server process this script started (and the only kind it stops). */
export interface Started {
  name: string;
  port: number;
  url: string;
  proc: ChildProcess;
  dir: string;
  stop(): Promise<void>;
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = path.join(dir, cmd);
    if (fs.existsSync(p)) return p;
  }
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/bin']) if (fs.existsSync(path.join(dir, cmd))) return path.join(dir, cmd);
  return undefined;
}

export function require(cmd: string, pkg: string): string {
  const p = which(cmd);
  if (!p) throw new Error(`${cmd} is not installed: apt-get update && apt-get install -y ${pkg} (or run bench/install-peers.sh)`);
  return p;
}

async function start(name: string, cmd: string, args: (port: number, dir: string) => string[], urlOf: (port: number) => string): Promise<Started> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mq-bench-${name}-`));
  const proc = spawn(cmd, args(port, dir), {stdio: ['ignore', 'pipe', 'pipe']});
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  let dead = false;
  void exited.then(() => (dead = true));
  await until(
    async () => {
      if (dead) throw new Error(`${name} exited:\n${out}`);
      return listening(port);
    },
    15_000,
    `${name} on port ${port}`,
  );
  return {
    name,
    port,
    url: urlOf(port),
    proc,
    dir,
    stop: async () => {
      if (!dead) {
        proc.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (!dead) proc.kill('SIGKILL');
        await exited;
      }
      fs.rmSync(dir, {recursive: true, force: true});
    },
  };
}

/** redis-server on 127.0.0.1 with an append-only file fsynced `always` (before each reply) or `everysec`. */
export async function startRedis(fsync: 'always' | 'everysec'): Promise<Started> {
  const bin = require('redis-server', 'redis-server');
  return start(`redis-${fsync}`, bin, (port, dir) => ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', fsync, '--save', '', '--daemonize', 'no', '--protected-mode', 'yes', '--logfile', ''], (p) => `redis://127.0.0.1:${p}`);
}

/** nats-server with JetStream, file storage in a temp dir, on 127.0.0.1. */
export async function startNats(): Promise<Started> {
  const bin = require('nats-server', 'nats-server');
  return start('nats', bin, (port, dir) => ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], (p) => `nats://127.0.0.1:${p}`);
}

/** An mq broker process (this checkout's bin/run.js, or MQ_BIN) with its data in a temp dir. */
export async function startMq(extra: string[] = [], nodeArgs: string[] = []): Promise<Started> {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-bench-mq-'));
  const ready = path.join(dir, 'ready.json');
  const cmd = process.env.MQ_BIN ? [path.resolve(process.env.MQ_BIN)] : [process.execPath, ...nodeArgs, path.join(root, 'bin/run.js')];
  const proc = spawn(cmd[0]!, [...cmd.slice(1), 'broker', 'start', '--data-dir', path.join(dir, 'data'), '--listen', '127.0.0.1:0', '--ready-file', ready, '--log-level', 'warn', ...extra], {stdio: ['ignore', 'inherit', 'inherit']});
  let dead = false;
  const exited = new Promise<void>((r) => proc.once('exit', () => ((dead = true), r())));
  await until(
    () => {
      if (dead) throw new Error('the mq broker exited before it was ready');
      return fs.existsSync(ready);
    },
    30_000,
    'the mq broker',
  );
  const {url} = JSON.parse(fs.readFileSync(ready, 'utf8')) as {url: string};
  return {
    name: 'mq',
    port: Number(new URL(url).port),
    url,
    proc,
    dir,
    stop: async () => {
      proc.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, {recursive: true, force: true});
    },
  };
}
