import {render} from 'ink';
import {StatusPoller, type BrokerSnapshot} from '../observe/snapshots.js';
import {supervisorView} from '../up/up-status.js';
import {App} from './components/app.js';

export interface TopOptions {
  urls: string[];
  token?: string;
  /** PEM CA to trust for https URLs. */
  ca?: string;
  intervalMs: number;
  /** The data directory of an `mq up` cluster (from the context): its supervisor's restart counts join the rows. */
  upDataDir?: string;
}

const ALT_SCREEN_ON = '\u001B[?1049h';
const ALT_SCREEN_OFF = '\u001B[?1049l';

/**
 * Runs the `mq top` dashboard until q or Ctrl-C. Loaded only by `commands/top.ts` when it runs: Ink and React take
 * ~0.5 s to load, which no other command should pay. The screen is the terminal's alternate screen, like top(1),
 * so quitting gives the shell back as it was.
 */
export async function runTop(opts: TopOptions): Promise<void> {
  const poller = new StatusPoller(opts.urls, {token: opts.token, ca: opts.ca, timeoutMs: Math.min(5000, Math.max(1000, opts.intervalMs))});
  const poll = async (): Promise<BrokerSnapshot[]> => {
    const snaps = await poller.poll();
    const sup = opts.upDataDir === undefined ? undefined : supervisorView(opts.upDataDir);
    if (!sup) return snaps;
    const byUrl = new Map(sup.children.filter((ch) => ch.url !== null).map((ch) => [ch.url!, ch.restarts]));
    return snaps.map((s) => ({...s, restarts: byUrl.get(s.url) ?? 0}));
  };
  process.stdout.write(ALT_SCREEN_ON);
  try {
    const app = render(<App urls={opts.urls} poll={poll} intervalMs={opts.intervalMs} />, {exitOnCtrlC: true, patchConsole: false});
    await app.waitUntilExit();
  } finally {
    process.stdout.write(ALT_SCREEN_OFF);
    await poller.close();
  }
}
