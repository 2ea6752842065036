import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {VERSION} from '../version.js';

export interface RunInfo {
  date: string;
  /** mq's version (package.json, or baked into the single executable). */
  version: string;
  /** The running code's checkout commit (with "-dirty" when it has local changes), MQ_BENCH_COMMIT, or "unknown". */
  commit: string;
  node: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  platform: string;
}

function git(args: string[], cwd: string): string | undefined {
  try {
    return execFileSync('git', args, {cwd, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000}).toString().trim();
  } catch {
    return undefined;
  }
}

function commitOf(dir: string): string | undefined {
  const head = git(['rev-parse', '--short=12', 'HEAD'], dir);
  if (head === undefined) return undefined;
  const dirty = (git(['status', '--porcelain', '--untracked-files=no'], dir) ?? '') !== '';
  return `${head}${dirty ? '-dirty' : ''}`;
}

/** The directory of the running code: its checkout is the commit measured, wherever `mq bench` is run from. */
function codeDir(): string | undefined {
  try {
    return path.dirname(fileURLToPath(import.meta.url));
  } catch {
    return undefined;
  }
}

/**
 * Where the numbers came from: the version, the commit (MQ_BENCH_COMMIT, else the checkout of the running code;
 * `cwd` only when the code's location is unknown) and the machine.
 */
export function runInfo(cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env, now = new Date()): RunInfo {
  // the single executable runs from a cache directory outside any checkout: its version says what it is, and the
  // commit of whatever project it was started in would be misleading
  const code = codeDir();
  const commit = env.MQ_BENCH_COMMIT || commitOf(code && fs.existsSync(code) ? code : cwd) || 'unknown';
  return {
    date: now.toISOString(),
    version: VERSION,
    commit,
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
  };
}
