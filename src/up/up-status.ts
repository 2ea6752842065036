import fs from 'node:fs';
import {c, table} from '../cli/output.js';
import type {SupervisorState} from './supervisor.js';
import {UpLayout} from './up-layout.js';
import {running as isRunning} from './up-pid.js';

export function readState(layout: UpLayout): SupervisorState | undefined {
  try {
    return JSON.parse(fs.readFileSync(layout.stateFile, 'utf8')) as SupervisorState;
  } catch {
    return undefined;
  }
}

/** What `mq status` adds for a cluster `mq up` runs: the supervisor and each child's state and restart count. */
export interface SupervisorView {
  data_dir: string;
  supervisor: {pid: number; running: boolean; restart: boolean};
  children: SupervisorState['children'];
  restarts: number;
}

export function supervisorView(dataDir: string): SupervisorView | undefined {
  const layout = new UpLayout(dataDir);
  const s = readState(layout);
  if (!s) return undefined;
  const running = isRunning(s.pid);
  const children = running ? s.children : s.children.map((ch) => ({...ch, state: ch.pid !== null && isRunning(ch.pid) ? ch.state : ('stopped' as const)}));
  return {data_dir: layout.dir, supervisor: {pid: s.pid, running, restart: s.restart}, children, restarts: children.reduce((n, ch) => n + ch.restarts, 0)};
}

export function supervisorText(v: SupervisorView): string {
  const head = `${c.bold('mq up')}  supervisor pid ${v.supervisor.pid} ${v.supervisor.running ? c.green('running') : c.red('not running')}${v.supervisor.restart ? '' : ' (--no-restart)'}, ${v.restarts} restart(s), data in ${v.data_dir}`;
  const state = (s: string): string => (s === 'running' ? c.green(s) : s === 'backoff' || s === 'starting' ? c.yellow(s) : c.red(s));
  const rows = v.children.map((ch) => [
    ch.name,
    state(ch.state),
    ch.pid ?? '-',
    ch.url ?? '-',
    ch.restarts,
    ch.last_exit ? `${ch.last_exit.signal ?? `code ${ch.last_exit.code}`} at ${new Date(ch.last_exit.at).toISOString()}` : '-',
  ]);
  return [head, '', table([['CHILD', 'STATE', 'PID', 'URL', 'RESTARTS', 'LAST EXIT'], ...rows])].join('\n');
}

/** For `mq status` (StatusRunOptions.extra): the supervisor's view when the context names an `mq up` data directory. */
export function supervisorExtra(dataDir: string | undefined): (() => {text: string; key: string; json: unknown} | undefined) | undefined {
  if (!dataDir) return undefined;
  return () => {
    const v = supervisorView(dataDir);
    return v ? {text: supervisorText(v), key: 'supervisor', json: v} : undefined;
  };
}
