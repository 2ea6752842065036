import fs from 'node:fs';
import {UsageError} from '../cli/usage-error.js';
import {ContextStore, removeDirContext} from '../cli/context-store.js';
import {readState} from './up-status.js';
import {livePid, running} from './up-pid.js';
import {UpLayout} from './up-layout.js';

export interface DownResult {
  data_dir: string;
  /** The supervisor's pid, if one was running. */
  supervisor: number | null;
  /** Children found running without a supervisor (it was killed) and stopped here. */
  orphans: number[];
  /** Processes that needed SIGKILL. */
  killed: number[];
  purged: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitGone(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = pids.filter(running);
    if (alive.length === 0 || Date.now() > deadline) return alive;
    await sleep(50);
  }
}

/** Linux: that this pid is still one of ours (a pid can be reused after a crash); elsewhere, trusted. */
function isOurs(pid: number, dataDir: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dataDir);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT' || !fs.existsSync('/proc/self');
  }
}

async function stopPids(pids: number[], timeoutMs: number, killed: number[]): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      continue;
    }
    for (const left of await waitGone([pid], timeoutMs)) {
      process.kill(left, 'SIGKILL');
      killed.push(left);
    }
  }
}

/**
 * `mq down`: SIGTERM to the supervisor, which stops the brokers one by one (each hands off its leaderships) and then
 * the lb; SIGKILL after timeoutMs. Children left behind by a supervisor that was killed are stopped the same way from
 * the pids in the state file. `purge` then removes the data directory and the contexts `mq up` wrote.
 */
export async function runDown(o: {dataDir: string; timeoutMs: number; purge: boolean; cwd: string; env: NodeJS.ProcessEnv}): Promise<DownResult> {
  const layout = new UpLayout(o.dataDir);
  if (!fs.existsSync(layout.specFile)) throw new UsageError(`${layout.dir} is not a cluster started by mq up (no ${layout.specFile})`);
  const killed: number[] = [];
  const supervisor = livePid(layout.pidFile);
  if (supervisor !== undefined) {
    process.kill(supervisor, 'SIGTERM');
    // the supervisor gives each child up to 15 s itself; this bounds the whole
    if ((await waitGone([supervisor], o.timeoutMs)).length) {
      process.kill(supervisor, 'SIGKILL');
      killed.push(supervisor);
    }
  }
  const state = readState(layout);
  const left = (state?.children ?? []).filter((c) => c.pid !== null && running(c.pid) && isOurs(c.pid, layout.dir));
  const orphans = left.map((c) => c.pid!);
  await stopPids([...left.filter((c) => c.kind === 'broker'), ...left.filter((c) => c.kind === 'lb')].map((c) => c.pid!), o.timeoutMs, killed);
  fs.rmSync(layout.pidFile, {force: true});
  if (o.purge) {
    const name = layout.readSpec()?.name;
    removeDirContext(o.cwd, layout.dir);
    const store = ContextStore.fromEnv(o.env);
    if (name && store.get(name)?.data_dir === layout.dir) store.remove(name);
    fs.rmSync(layout.dir, {recursive: true, force: true});
  }
  return {data_dir: layout.dir, supervisor: supervisor ?? null, orphans, killed, purged: o.purge};
}
