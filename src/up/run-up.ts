import fs from 'node:fs';
import path from 'node:path';
import {selfCommand} from '../cli/detach.js';
import {ContextStore, writeDirContext} from '../cli/context-store.js';
import {MqError} from '../errors.js';
import {waitClusterReady} from './cluster-ready.js';
import {livePid, releasePidFile, takePidFile} from './up-pid.js';
import {childSpecs, planUp, type UpPlan, type UpRequest} from './up-plan.js';
import {UpLayout} from './up-layout.js';
import {Supervisor} from './supervisor.js';

export interface UpOptions extends UpRequest {
  restart: boolean;
  timeoutMs: number;
  /** Where the context file goes (the directory `mq up` ran in). */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Hidden: write {pid, url, ...} here once ready (how `--detach` learns that the supervisor is up). */
  readyFile?: string;
  /** Human lines for the terminal (restarts, stopping). */
  say: (line: string) => void;
}

/** What `mq up` prints once the cluster is ready (and the detached supervisor writes to its ready file). */
export interface UpReady {
  pid: number;
  url: string;
  urls: string[];
  lb: string | null;
  brokers: Array<{id: number; url: string}>;
  data_dir: string;
  context: string;
  context_file: string;
  resumed: boolean;
}

/** A cluster already running from this data directory: its ready document, rebuilt from up.json. */
export function alreadyRunning(dataDir: string, cwd: string): UpReady | undefined {
  const layout = new UpLayout(dataDir);
  const pid = livePid(layout.pidFile);
  const spec = pid === undefined ? undefined : layout.readSpec();
  if (!pid || !spec) return undefined;
  const brokers = spec.brokers.map((b) => ({id: b.id, url: `http://127.0.0.1:${b.port}`}));
  const lb = spec.lb ? `http://127.0.0.1:${spec.lb.port}` : null;
  return {pid, url: lb ?? brokers[0]!.url, urls: [...(lb ? [lb] : []), ...brokers.map((b) => b.url)], lb, brokers, data_dir: layout.dir, context: spec.name, context_file: path.join(cwd, '.mq-context.json'), resumed: true};
}

function readyDoc(plan: UpPlan, contextFile: string): UpReady {
  return {
    pid: process.pid,
    url: plan.url,
    urls: [...(plan.lbUrl ? [plan.lbUrl] : []), ...plan.brokerUrls],
    lb: plan.lbUrl ?? null,
    brokers: plan.spec.brokers.map((b, i) => ({id: b.id, url: plan.brokerUrls[i]!})),
    data_dir: plan.layout.dir,
    context: plan.spec.name,
    context_file: contextFile,
    resumed: plan.resumed,
  };
}

/**
 * The supervisor, in this process: takes the pid file, starts the children, waits until the cluster is ready,
 * writes the contexts, and then supervises until SIGTERM/SIGINT/SIGHUP, when it stops everything gracefully
 * (a second signal kills what is left). Resolves once everything has stopped.
 */
export async function runSupervisor(o: UpOptions, onReady: (r: UpReady) => void): Promise<void> {
  const layout = new UpLayout(o.dataDir);
  fs.mkdirSync(layout.logDir, {recursive: true});
  if (!takePidFile(layout.pidFile)) throw new MqError('UNAVAILABLE', `a cluster is already running from ${layout.dir} (pid ${livePid(layout.pidFile)}); stop it with: mq down --data-dir ${o.dataDir}`);
  const log = (msg: string, fields: Record<string, unknown> = {}): void => {
    fs.appendFileSync(layout.supervisorLog, JSON.stringify({time: Date.now(), pid: process.pid, msg, ...fields}) + '\n');
    if (/restart|exited|killing/.test(msg)) o.say(`mq up: ${fields.child ?? ''} ${msg}${fields.restart_in_ms !== undefined ? ` in ${fields.restart_in_ms} ms` : ''}`);
  };
  let sup: Supervisor | undefined;
  let signals = 0;
  let stopRequested!: () => void;
  const stopSignal = new Promise<void>((r) => (stopRequested = r));
  const onSignal = (sig: NodeJS.Signals): void => {
    log('signal received', {signal: sig});
    if (++signals > 1) sup?.killAll();
    stopRequested();
  };
  for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(s, onSignal);
  try {
    const plan = await planUp(o);
    log('starting', {data_dir: layout.dir, brokers: plan.brokerUrls, lb: plan.lbUrl, resumed: plan.resumed, restart: o.restart});
    sup = new Supervisor(childSpecs(plan), {command: selfCommand(), env: o.env, restart: o.restart, stateFile: layout.stateFile, log});
    const deadline = Date.now() + o.timeoutMs;
    const started = Promise.race([
      sup.start(o.timeoutMs).then(() => waitClusterReady({brokers: plan.brokerUrls, lb: plan.lbUrl}, Math.max(0, deadline - Date.now()))),
      stopSignal.then(() => Promise.reject(new Error('stopped before the cluster was ready'))),
    ]);
    try {
      await started;
    } catch (error) {
      const e = error as Error;
      throw /within|not ready/.test(e.message) ? new MqError('TIMEOUT', e.message) : e;
    }
    const dirContext = {name: plan.spec.name, url: plan.url, urls: readyDoc(plan, '').urls, data_dir: plan.layout.dir};
    const contextFile = writeDirContext(o.cwd, dirContext);
    ContextStore.fromEnv(o.env).put(plan.spec.name, {url: dirContext.url, urls: dirContext.urls, data_dir: dirContext.data_dir});
    const ready = readyDoc(plan, contextFile);
    log('ready', {url: ready.url});
    if (o.readyFile) fs.writeFileSync(o.readyFile, JSON.stringify(ready) + '\n');
    onReady(ready);
    await stopSignal;
  } finally {
    if (sup) {
      log('stopping');
      await sup.stop(15_000);
      log('stopped');
    }
    releasePidFile(layout.pidFile);
    for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.off(s, onSignal);
  }
}

/**
 * `--detach`: runs `mq up` again as a background process (its own session, output in logs/up.log) and returns once
 * it says the cluster is ready; if it exits first or times out, fails with the end of its log.
 */
export async function startDetachedUp(args: string[], o: {dataDir: string; timeoutMs: number; env: NodeJS.ProcessEnv}): Promise<UpReady> {
  const layout = new UpLayout(o.dataDir);
  fs.mkdirSync(layout.runDir, {recursive: true});
  fs.mkdirSync(layout.logDir, {recursive: true});
  const readyFile = path.join(layout.runDir, 'up.ready');
  fs.rmSync(readyFile, {force: true});
  const logFile = layout.supervisorLog;
  const out = fs.openSync(logFile, 'a');
  const self = selfCommand();
  const child = (await import('node:child_process')).spawn(self.cmd, [...self.args, 'up', ...args, '--ready-file', readyFile], {detached: true, stdio: ['ignore', out, out], env: o.env});
  fs.closeSync(out);
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? 1));
  const deadline = Date.now() + o.timeoutMs + 20_000;
  for (;;) {
    if (fs.existsSync(readyFile)) {
      child.unref();
      return JSON.parse(fs.readFileSync(readyFile, 'utf8')) as UpReady;
    }
    if (exited !== null || Date.now() > deadline) {
      if (exited === null) child.kill('SIGTERM');
      const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n');
      throw new MqError(exited === null ? 'TIMEOUT' : 'UNAVAILABLE', `the supervisor ${exited === null ? 'did not report ready in time' : `exited with code ${exited}`}; see ${logFile}:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
