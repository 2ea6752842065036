import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {isSea} from 'node:sea';

/** How to run this same CLI again: the executable alone inside a single binary, node + script otherwise. */
export function selfCommand(): {cmd: string; args: string[]} {
  if (isSea()) return {cmd: process.execPath, args: []};
  return {cmd: process.execPath, args: [...process.execArgv, process.argv[1]!]};
}

export interface Detached {
  pid: number;
  ready: {node_id: number; url: string; pid: number};
}

/**
 * Starts `mq <args>` in the background, detached from this terminal, with its output in logFile, and returns once it
 * has written its ready file (or fails with the end of its log if it exits first or takes too long).
 */
export async function startDetached(args: string[], logFile: string, timeoutMs: number): Promise<Detached> {
  const readyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mq-ready-')), 'ready.json');
  fs.mkdirSync(path.dirname(path.resolve(logFile)), {recursive: true});
  const log = fs.openSync(logFile, 'a');
  const self = selfCommand();
  const child = spawn(self.cmd, [...self.args, ...args, '--ready-file', readyFile], {detached: true, stdio: ['ignore', log, log], env: process.env});
  fs.closeSync(log);
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? 1));
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (fs.existsSync(readyFile)) {
        const ready = JSON.parse(fs.readFileSync(readyFile, 'utf8')) as Detached['ready'];
        child.unref();
        return {pid: child.pid!, ready};
      }
      if (exited !== null || Date.now() > deadline) {
        if (exited === null) child.kill('SIGTERM');
        const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n') : '';
        throw new Error(`the broker ${exited === null ? 'did not become ready in time' : `exited with code ${exited}`}; see ${logFile}${tail ? `:\n${tail}` : ''}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    fs.rmSync(path.dirname(readyFile), {recursive: true, force: true});
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends SIGTERM and waits for the process to exit; false if it is still running at the deadline. */
export async function stopProcess(pid: number, timeoutMs: number): Promise<boolean> {
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
