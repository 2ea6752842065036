import {setTimeout as sleep} from 'node:timers/promises';
import {MqError} from '../errors.js';
import {allHealthy, healthOf, StatusPoller, type BrokerSnapshot} from '../observe/snapshots.js';
import {ExitCode} from './exit-codes.js';
import {formatDuration} from './output.js';
import {snapshotsText, summaryJson} from './status-summary.js';

export interface StatusRunOptions {
  urls: string[];
  token?: string;
  /** PEM CA to trust for https URLs. */
  ca?: string;
  json: boolean;
  /** Show internal topics (`__groups`, `__receipts`). */
  internal?: boolean;
  intervalMs: number;
  /** --exit-when-healthy: how long to wait. */
  timeoutMs: number;
  /** Redraw in place (a terminal) instead of printing one snapshot after another. */
  redraw: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Ends --watch (Ctrl-C) and cuts a wait short. */
  signal: AbortSignal;
  /** More to show after the brokers (the `mq up` supervisor's children and restarts): text, and a key for summary JSON. */
  extra?: () => {text: string; key: string; json: unknown} | undefined;
}

function withExtra(o: StatusRunOptions, text: string): string {
  const x = o.extra?.();
  return x ? `${text}\n\n${x.text}` : text;
}

function jsonWithExtra(o: StatusRunOptions, doc: object): object {
  const x = o.extra?.();
  return x ? {...doc, [x.key]: x.json} : doc;
}

/** Cursor home and clear the screen (not the scrollback: what was there before stays reachable). */
const CLEAR = '\u001B[H\u001B[2J';

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  await sleep(ms, undefined, {signal}).catch(() => undefined);
}

function exitCode(snapshots: readonly BrokerSnapshot[]): number {
  return allHealthy(snapshots) ? ExitCode.Ok : ExitCode.Unhealthy;
}

/**
 * One look. With a single URL the JSON is that broker's /status document (as before several URLs were possible),
 * and an unreachable broker is an error (exit 4, with a hint); with several, a summary that marks unreachable ones.
 */
export async function statusOnce(o: StatusRunOptions): Promise<number> {
  const poller = new StatusPoller(o.urls, {token: o.token, ca: o.ca});
  try {
    const snaps = await poller.poll();
    const only = snaps.length === 1 ? snaps[0]! : undefined;
    if (only && !only.ok) throw new MqError(only.error.code as never, only.error.message);
    if (o.json) o.out(JSON.stringify(only?.ok ? only.status : jsonWithExtra(o, summaryJson(snaps))));
    else o.out(withExtra(o, snapshotsText(snaps, {internal: o.internal})));
    return exitCode(snaps);
  } finally {
    await poller.close();
  }
}

/** --watch: a fresh look every interval until Ctrl-C; redrawn on a terminal, one snapshot after another otherwise. */
export async function statusWatch(o: StatusRunOptions): Promise<number> {
  const poller = new StatusPoller(o.urls, {token: o.token, ca: o.ca});
  let last: BrokerSnapshot[] = [];
  try {
    while (!o.signal.aborted) {
      last = await poller.poll();
      if (o.signal.aborted) break;
      const when = new Date().toISOString();
      if (o.json) o.out(JSON.stringify(jsonWithExtra(o, summaryJson(last))));
      else if (o.redraw) o.out(`${CLEAR}${withExtra(o, snapshotsText(last, {internal: o.internal}))}\n\nevery ${formatDuration(o.intervalMs)}, ${when}; Ctrl-C to stop`);
      else o.out(`--- ${when}\n${withExtra(o, snapshotsText(last, {internal: o.internal}))}\n`);
      await pause(o.intervalMs, o.signal);
    }
  } finally {
    await poller.close();
  }
  return ExitCode.Ok;
}

/** --exit-when-healthy: for CI scripts; polls until every URL is healthy (0), or says why not at the deadline (4). */
export async function statusUntilHealthy(o: StatusRunOptions): Promise<number> {
  const poller = new StatusPoller(o.urls, {token: o.token, ca: o.ca, timeoutMs: Math.min(5000, Math.max(500, o.intervalMs))});
  const deadline = Date.now() + o.timeoutMs;
  let said = '';
  try {
    for (;;) {
      const snaps = await poller.poll();
      const waitingFor = snaps.filter((s) => !healthOf(s).healthy).map((s) => `${s.url}: ${healthOf(s).problems.join('; ')}`);
      const done = waitingFor.length === 0;
      if (done || Date.now() >= deadline || o.signal.aborted) {
        if (o.json) o.out(JSON.stringify(summaryJson(snaps)));
        else o.out(snapshotsText(snaps, {internal: o.internal}));
        if (!done) o.err(`still unhealthy after ${formatDuration(o.timeoutMs)}:\n  ${waitingFor.join('\n  ')}`);
        return exitCode(snaps);
      }
      const now = waitingFor.join('\n  ');
      if (now !== said) o.err(`waiting for ${waitingFor.length} of ${snaps.length} broker(s) to be healthy:\n  ${now}`);
      said = now;
      await pause(Math.min(o.intervalMs, Math.max(0, deadline - Date.now())), o.signal);
    }
  } finally {
    await poller.close();
  }
}
