import {spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {writeAtomic} from '../util/foreground.js';

/** One process the supervisor keeps running. */
export interface ChildSpec {
  /** `broker-1`, `lb`: also the name in logs and in the state file. */
  name: string;
  kind: 'broker' | 'lb';
  /** Arguments after the `mq` executable. */
  args: string[];
  /** The child writes this once it serves (`--ready-file`); removed before every start. */
  readyFile: string;
  /** Where the child's stdout and stderr go (appended). */
  outFile: string;
}

export type ChildState = 'starting' | 'running' | 'backoff' | 'exited' | 'stopping' | 'stopped';

export interface ChildStatus {
  name: string;
  kind: 'broker' | 'lb';
  state: ChildState;
  pid: number | null;
  url: string | null;
  restarts: number;
  last_exit: {code: number | null; signal: string | null; at: number} | null;
}

/** The state file `mq status` reads: the supervisor's pid and every child's. */
export interface SupervisorState {
  pid: number;
  started_at: number;
  restart: boolean;
  children: ChildStatus[];
}

export interface SupervisorOptions {
  /** How to run `mq` (selfCommand()). */
  command: {cmd: string; args: string[]};
  env: NodeJS.ProcessEnv;
  /** Restart children that exit unexpectedly (false: --no-restart, for chaos tests). */
  restart: boolean;
  stateFile: string;
  /** First restart delay; doubled for each failure in a row, up to backoffMaxMs. */
  backoffMs?: number;
  backoffMaxMs?: number;
  /** A child that ran this long before exiting starts again from backoffMs. */
  backoffResetMs?: number;
  log: (msg: string, fields?: Record<string, unknown>) => void;
  now?: () => number;
}

interface Child {
  spec: ChildSpec;
  status: ChildStatus;
  proc: ChildProcess | undefined;
  exited: Promise<void>;
  startedAt: number;
  /** Failures in a row (reset once a child has run backoffResetMs). */
  streak: number;
  /** Was ready once: a child that fails before its first ready (bad flags, a port taken) is not restarted. */
  everReady: boolean;
  timer: NodeJS.Timeout | undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Seed 003's monitoring and auto-recovery for `mq up`: starts the brokers and the lb as child processes, restarts
 * one that exits unexpectedly (backoff doubling from backoffMs to backoffMaxMs), and records every child's pid,
 * state and restart count in a state file. stop() ends them gracefully: SIGTERM to the brokers (each hands
 * its leaderships if it can), then the lb; SIGKILL after a timeout.
 */
export class Supervisor {
  private readonly children: Child[];
  private stopping = false;
  private readonly startedAt: number;
  private readonly now: () => number;

  constructor(specs: ChildSpec[], private readonly o: SupervisorOptions) {
    this.now = o.now ?? Date.now;
    this.startedAt = this.now();
    this.children = specs.map((spec) => ({
      spec,
      status: {name: spec.name, kind: spec.kind, state: 'starting', pid: null, url: null, restarts: 0, last_exit: null},
      proc: undefined,
      exited: Promise.resolve(),
      startedAt: 0,
      streak: 0,
      everReady: false,
      timer: undefined,
    }));
  }

  state(): SupervisorState {
    return {pid: process.pid, started_at: this.startedAt, restart: this.o.restart, children: this.children.map((c) => ({...c.status}))};
  }

  /**
   * Starts every child at once (brokers founding a cluster need each other; the lb's checks find the brokers as they
   * come up, and starting it meanwhile is quicker than after them) and waits for their ready files.
   */
  async start(timeoutMs: number): Promise<void> {
    const deadline = this.now() + timeoutMs;
    for (const c of this.children) this.spawn(c);
    while (!this.children.every((c) => c.status.state === 'running')) {
      const dead = this.children.find((c) => c.status.state === 'exited');
      if (dead) throw new Error(`${dead.spec.name} exited before it was ready (code ${dead.status.last_exit?.code ?? '?'}); see ${dead.spec.outFile} and its log`);
      if (this.now() > deadline) {
        const late = this.children.filter((c) => c.status.state !== 'running').map((c) => c.spec.name);
        throw new Error(`${late.join(', ')} did not become ready within ${timeoutMs} ms; see the logs in ${path.dirname(this.children[0]!.spec.outFile)}`);
      }
      await sleep(50);
    }
  }

  private spawn(c: Child): void {
    fs.rmSync(c.spec.readyFile, {force: true});
    const out = fs.openSync(c.spec.outFile, 'a');
    // its own process group: a Ctrl-C in the terminal reaches only the supervisor, which stops the children in order
    // (brokers, then the lb) instead of each of them at once, and never mistakes their exits for crashes
    const proc = spawn(this.o.command.cmd, [...this.o.command.args, ...c.spec.args], {stdio: ['ignore', out, out], env: this.o.env, detached: true});
    fs.closeSync(out);
    c.proc = proc;
    c.startedAt = this.now();
    c.status = {...c.status, state: 'starting', pid: proc.pid ?? null, url: c.status.url};
    this.o.log('child started', {child: c.spec.name, pid: proc.pid, restarts: c.status.restarts});
    this.save();
    c.exited = new Promise((resolve) => proc.once('exit', (code, signal) => (this.onExit(c, proc, code, signal), resolve())));
    void this.watchReady(c, proc);
  }

  private async watchReady(c: Child, proc: ChildProcess): Promise<void> {
    while (c.proc === proc && c.status.state === 'starting') {
      if (fs.existsSync(c.spec.readyFile)) {
        try {
          const ready = JSON.parse(fs.readFileSync(c.spec.readyFile, 'utf8')) as {url: string};
          c.status = {...c.status, state: 'running', url: ready.url};
          c.everReady = true;
          this.o.log('child ready', {child: c.spec.name, pid: proc.pid, url: ready.url});
          this.save();
          return;
        } catch {
          // written by rename, so this is a file from before the start that rmSync raced with: look again
        }
      }
      await sleep(50);
    }
  }

  private onExit(c: Child, proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (c.proc !== proc) return;
    c.proc = undefined;
    const ranMs = this.now() - c.startedAt;
    c.status = {...c.status, pid: null, last_exit: {code, signal, at: this.now()}};
    if (this.stopping) {
      c.status.state = 'stopped';
      this.o.log('child stopped', {child: c.spec.name, code, signal});
      return this.save();
    }
    if (!this.o.restart || !c.everReady) {
      c.status.state = 'exited';
      this.o.log(`child exited; not restarting (${c.everReady ? '--no-restart' : 'it was never ready'})`, {child: c.spec.name, code, signal});
      return this.save();
    }
    if (ranMs >= (this.o.backoffResetMs ?? 30_000)) c.streak = 0;
    const delayMs = Math.min(this.o.backoffMaxMs ?? 10_000, (this.o.backoffMs ?? 250) * 2 ** c.streak);
    c.streak++;
    c.status.state = 'backoff';
    c.status.restarts++;
    this.o.log('child exited unexpectedly; restarting', {child: c.spec.name, code, signal, ran_ms: ranMs, restart_in_ms: delayMs, restarts: c.status.restarts});
    this.save();
    c.timer = setTimeout(() => {
      c.timer = undefined;
      if (!this.stopping) this.spawn(c);
    }, delayMs);
  }

  /**
   * Graceful: SIGTERM to every broker (each runs its own graceful stop: hands off what it leads if it can, lets
   * in-flight writes commit, closes its database), then to the lb; SIGKILL to a child still running after timeoutMs.
   * All brokers at once: one at a time would hand leaderships to brokers about to stop too, and take seconds longer.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    for (const c of this.children) if (c.timer) clearTimeout(c.timer);
    for (const kind of ['broker', 'lb'] as const) await Promise.all(this.children.filter((c) => c.spec.kind === kind).map((c) => this.stopChild(c, timeoutMs)));
  }

  private async stopChild(c: Child, timeoutMs: number): Promise<void> {
    if (!c.proc) {
      if (c.status.state !== 'stopped') (c.status.state = 'stopped'), this.save();
      return;
    }
    c.status.state = 'stopping';
    this.save();
    c.proc.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.o.log('child did not stop in time; killing it', {child: c.spec.name, timeout_ms: timeoutMs});
      c.proc?.kill('SIGKILL');
    }, timeoutMs);
    await c.exited;
    clearTimeout(timer);
  }

  /** After a second signal: SIGKILL whatever is left. */
  killAll(): void {
    for (const c of this.children) c.proc?.kill('SIGKILL');
  }

  private save(): void {
    try {
      writeAtomic(this.o.stateFile, JSON.stringify(this.state(), null, 2) + '\n');
    } catch (error) {
      this.o.log('cannot write the state file', {file: this.o.stateFile, error: (error as Error).message});
    }
  }
}
