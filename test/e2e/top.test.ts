import {execFileSync} from 'node:child_process';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {MqClient} from '../../src/client/index.js';
import {waitFor} from '../helpers/broker.js';
import {mqCommand, spawnBroker, type BrokerChild} from '../helpers/process.js';

/**
 * `mq top` in a real terminal: tmux runs bin/run.js (or the binary with MQ_BIN), send-keys types, capture-pane reads
 * the screen. A private tmux server (-L) keeps the test away from any other tmux session.
 */

const SOCKET = `mq-top-test-${process.pid}`;
const SESSION = 'top';
const DEAD = 'http://127.0.0.1:9';

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, ...args], {encoding: 'utf8'});
}
const screen = (): string => tmux('capture-pane', '-p', '-t', SESSION);
const keys = (...k: string[]): void => void tmux('send-keys', '-t', SESSION, ...k);
const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The IN/S figure of one partition's row in the topics view (single-broker layout). */
function inRate(text: string, partition: string): string | undefined {
  const row = text.split('\n').find((l) => l.trimStart().startsWith(`${partition} `));
  // TOPIC/PARTITION LEADER ISR HIGH-WM MESSAGES SIZE(2 words) IN/S
  return row?.trim().split(/\s+/)[7];
}

let broker: BrokerChild;
let client: MqClient;

beforeAll(async () => {
  try {
    execFileSync('tmux', ['-V'], {encoding: 'utf8'});
  } catch {
    throw new Error('tmux is not installed: this test drives mq top in a real terminal (apt-get install tmux; .ci/run installs it)');
  }
  // rates over 1 s instead of 5 s, so that a stopped load shows as 0 soon
  broker = await spawnBroker({env: {MQ_STATUS_RATE_WINDOW_MS: '1000'}});
  client = new MqClient({url: broker.url});
  await client.createTopic({name: 'load', partitions: 1});
  await client.createTopic({name: 'quiet', partitions: 1});
  const cmd = [...mqCommand(), 'top', '--url', broker.url, '--url', DEAD, '--interval', '250ms'].map(quote).join(' ');
  // CI runners export CI=true (which makes Ink draw only its last frame): mq top must draw live anyway, so keep it
  tmux('new-session', '-d', '-s', SESSION, '-x', '140', '-y', '30', '-e', 'CI=true', `${cmd}; echo EXITED rc=$?; sleep 120`);
}, 60_000);

afterAll(async () => {
  try {
    tmux('kill-server');
  } catch {
    // already gone
  }
  await client?.close();
  broker?.kill('SIGTERM');
  await broker?.exited;
});

describe('mq top in tmux', () => {
  it('starts on the brokers view, with the unreachable broker marked', async () => {
    await waitFor(() => screen().includes('serving'), {what: `mq top to show the broker:\n${screen()}`, timeoutMs: 20_000});
    const s = screen();
    expect(s).toMatch(/mq top\s+1 Brokers\s+2 Topics\s+3 Groups/);
    expect(s).toContain('brokers 1/2 reachable');
    expect(s).toContain(`✗ ${DEAD} UNREACHABLE: cannot reach`);
    expect(s).toMatch(new RegExp(`●\\s+${broker.url}\\s+1\\s+serving`));
  });

  it('shows the rates change while a produce load runs, and fall back to 0 when it stops', async () => {
    keys('2');
    await waitFor(() => inRate(screen(), 'load/0') === '0', {what: 'the topics view with an idle load/0', timeoutMs: 10_000});
    let stop = false;
    let sent = 0;
    const load = (async () => {
      // bounded: at most 20,000 messages or 60 s, whatever the test does
      const deadline = Date.now() + 60_000;
      while (!stop && sent < 20_000 && Date.now() < deadline) {
        await client.produce('load', Array.from({length: 20}, (_, i) => ({value: {n: sent + i}})));
        sent += 20;
      }
    })();
    const seen = new Set<string>();
    try {
      await waitFor(
        () => {
          const r = inRate(screen(), 'load/0');
          if (r && r !== '0') seen.add(r);
          return seen.size >= 2;
        },
        {what: `two different non-zero rates for load/0 (seen: ${[...seen].join(', ')})`, timeoutMs: 20_000, intervalMs: 100},
      );
      const s = screen();
      expect(inRate(s, 'quiet/0')).toBe('0');
      // the trend column has risen above its lowest bar
      expect(s.split('\n').find((l) => l.trimStart().startsWith('load/0 '))).toMatch(/[▂▃▄▅▆▇█]/);
    } finally {
      stop = true;
      await load;
    }
    expect(sent).toBeGreaterThan(0);
    await waitFor(() => inRate(screen(), 'load/0') === '0', {what: 'the rate to fall back to 0', timeoutMs: 20_000});
  });

  it('follows a terminal resize', async () => {
    keys('1');
    await waitFor(() => screen().includes('LOOP P99') && screen().includes('VERSION'), {what: 'the wide brokers view', timeoutMs: 10_000});
    tmux('resize-window', '-t', SESSION, '-x', '70', '-y', '30');
    await waitFor(() => !screen().includes('VERSION') && screen().includes('IN/S'), {what: `the narrow layout:\n${screen()}`, timeoutMs: 10_000});
    for (const line of screen().split('\n')) expect([...line.trimEnd()].length).toBeLessThanOrEqual(70);
    tmux('resize-window', '-t', SESSION, '-x', '140', '-y', '30');
  });

  it('pauses with p and quits with q (exit code 0)', async () => {
    keys('p');
    await waitFor(() => screen().includes('PAUSED'), {what: 'PAUSED', timeoutMs: 10_000});
    keys('q');
    await waitFor(() => screen().includes('EXITED rc=0'), {what: `mq top to exit:\n${screen()}`, timeoutMs: 10_000});
  });
});
