import {render} from 'ink';
import {StatusPoller} from '../observe/snapshots.js';
import {App} from './components/app.js';

export interface TopOptions {
  urls: string[];
  token?: string;
  intervalMs: number;
}

const ALT_SCREEN_ON = '\u001B[?1049h';
const ALT_SCREEN_OFF = '\u001B[?1049l';

/**
 * Runs the `mq top` dashboard until q or Ctrl-C. Loaded only by `commands/top.ts` when it runs: Ink and React take
 * ~0.5 s to load, which no other command should pay. The screen is the terminal's alternate screen, like top(1),
 * so quitting gives the shell back as it was.
 */
export async function runTop(opts: TopOptions): Promise<void> {
  const poller = new StatusPoller(opts.urls, {token: opts.token, timeoutMs: Math.min(5000, Math.max(1000, opts.intervalMs))});
  const poll = () => poller.poll();
  process.stdout.write(ALT_SCREEN_ON);
  try {
    const app = render(<App urls={opts.urls} poll={poll} intervalMs={opts.intervalMs} />, {exitOnCtrlC: true, patchConsole: false});
    await app.waitUntilExit();
  } finally {
    process.stdout.write(ALT_SCREEN_OFF);
    await poller.close();
  }
}
