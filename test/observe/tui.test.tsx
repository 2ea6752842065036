import {render} from 'ink-testing-library';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {StatusPoller, type BrokerSnapshot} from '../../src/observe/snapshots.js';
import type {StatusModel} from '../../src/observe/status-model.js';
import {App} from '../../src/tui/components/app.js';
import {Dashboard, type DashboardProps} from '../../src/tui/components/dashboard.js';
import {appendHistory, partitionKey, type History} from '../../src/tui/history.js';
import {brokersTable, fitColumns, topicsTable} from '../../src/tui/views.js';
import {startTestBroker, waitFor, type TestBroker} from '../helpers/broker.js';

const plain = (s: string | undefined): string => (s ?? '').replace(/\u001B\[[0-9;]*m/g, '');
const DEAD = 'http://127.0.0.1:9';

let b: TestBroker;
let live: BrokerSnapshot[];

beforeAll(async () => {
  b = await startTestBroker();
  await b.client.createTopic({name: 'orders', partitions: 2});
  await b.client.produce('orders', Array.from({length: 12}, (_, i) => ({value: i, partition: i % 2})));
  await b.client.createGroup({name: 'billing', topics: ['orders'], mode: 'stream', from: 'earliest'});
  const poller = new StatusPoller([b.url, DEAD], {timeoutMs: 2000});
  live = await poller.poll();
  await poller.close();
});
afterAll(() => b.stop({purge: true}));

/** The live snapshot with orders/0 taking `rate` msg/s and everything else idle: a later poll under load. */
function withRate(rate: number): BrokerSnapshot[] {
  return live.map((s) => {
    if (!s.ok) return s;
    const status = structuredClone(s.status) as StatusModel;
    for (const t of status.topics) for (const p of t.partitions) p.rates = {...p.rates, messages_in_per_s: 0, messages_out_per_s: 0};
    const p0 = status.topics.find((t) => t.name === 'orders')!.partitions[0]!;
    p0.rates.messages_in_per_s = rate;
    status.totals.messages_in_per_s = rate;
    return {...s, status};
  });
}

function props(over: Partial<DashboardProps> = {}): DashboardProps {
  let history: History = new Map();
  for (const r of [0, 5, 10, 20, 40]) history = appendHistory(history, withRate(r));
  return {snapshots: withRate(40), history, polls: 5, view: 'brokers', sort: 'url', paused: false, internal: false, intervalMs: 2000, lastPollAt: Date.now(), urls: [b.url, DEAD], width: 120, height: 30, ...over};
}

describe('mq top components - rendered to strings', () => {
  it('brokers view: one row per URL, the unreachable one marked clearly', () => {
    const frame = plain(render(<Dashboard {...props()} />).lastFrame());
    expect(frame).toContain('mq top');
    expect(frame).toContain('brokers 1/2 reachable');
    expect(frame).toMatch(new RegExp(`✗ ${DEAD} UNREACHABLE: cannot reach`));
    expect(frame).toMatch(new RegExp(`●\\s+${b.url.replace(/\./g, '\\.')}\\s+1\\s+serving\\s+40`));
    expect(frame).toMatch(/tab\/1-3 view {2}s sort {2}p pause/);
  });

  it('topics view: partitions with rates, a sparkline of the recent in-rate, and lag', () => {
    const frame = plain(render(<Dashboard {...props({view: 'topics', sort: 'name'})} />).lastFrame());
    expect(frame).toMatch(/TOPIC\/PARTITION\s+LEADER\s+ISR/);
    // orders/0: 6 messages, 40 msg/s now, rising trend; lag 6 for the group that has read nothing
    expect(frame).toMatch(/orders\/0\s+1\s+1\/1\s+6\s+6\s+\S+ B\s+40\s+▁▂▃▅█\s+0\s+\S+ B\/s\s+6/);
    expect(frame).not.toContain('__groups');
    const withInternal = plain(render(<Dashboard {...props({view: 'topics', sort: 'name', internal: true})} />).lastFrame());
    expect(withInternal).toContain('__groups/0');
  });

  it('brokers view: a RESTARTS column when a supervisor (mq up) runs the brokers, and none otherwise', () => {
    const plainView = brokersTable(withRate(1), new Map(), 'name', 8);
    expect(plainView.columns.map((c) => c.title)).not.toContain('RESTARTS');
    const supervised = withRate(1).map((snap, i) => ({...snap, restarts: i === 0 ? 2 : 0}));
    const model = brokersTable(supervised, new Map(), 'name', 8);
    const at = model.columns.findIndex((c) => c.title === 'RESTARTS');
    expect(at).toBeGreaterThan(0);
    const row = model.rows.find((r) => r[1]!.text === supervised[0]!.url)!;
    expect(row[at]!.text).toBe('2');
  });

  it('groups view: mode, members, lag', () => {
    const frame = plain(render(<Dashboard {...props({view: 'groups', sort: 'name'})} />).lastFrame());
    expect(frame).toMatch(/billing\s+stream\s+orders\s+0\s+12/);
  });

  it('fits narrow terminals by dropping the least important columns, and says how many rows it could not show', () => {
    const wide = plain(render(<Dashboard {...props({width: 160})} />).lastFrame());
    const narrow = plain(render(<Dashboard {...props({width: 60})} />).lastFrame());
    expect(wide).toContain('VERSION');
    expect(narrow).not.toContain('VERSION');
    expect(narrow).toContain('IN/S');
    for (const line of narrow.split('\n')) expect([...line].length).toBeLessThanOrEqual(60);
    const short = plain(render(<Dashboard {...props({view: 'topics', sort: 'name', internal: true, height: 12})} />).lastFrame());
    expect(short).toMatch(/… \d+ more/);
    expect(short.split('\n').length).toBeLessThanOrEqual(12);
  });

  it('sorts by in-rate, busiest first', () => {
    const live1 = withRate(40).filter((s) => s.ok);
    const model = topicsTable(live1, new Map(), 'in/s', 8);
    expect(model.columns[0]!.title).toBe('TOPIC/PARTITION');
    expect(model.rows[0]![0]!.text).toBe('orders/0');
    // with another poll where orders/1 is busier, it moves to the top
    const busier = structuredClone(live1);
    if (busier[0]!.ok) busier[0]!.status.topics.find((t) => t.name === 'orders')!.partitions[1]!.rates.messages_in_per_s = 99;
    expect(topicsTable(busier, new Map(), 'in/s', 8).rows.map((r) => r[0]!.text)).toEqual(['orders/1', 'orders/0']);
    expect(topicsTable(busier, new Map(), 'name', 8).rows.map((r) => r[0]!.text)).toEqual(['orders/0', 'orders/1']);
    expect(fitColumns(model, 30).every((c) => model.columns[c.index]!.priority <= 1)).toBe(true);
  });

  it('keeps a bounded history per series; an unreachable broker keeps its last shape', () => {
    let h: History = new Map();
    for (let i = 0; i < 10; i++) h = appendHistory(h, withRate(i), 4);
    expect(h.get(partitionKey(b.url, 'orders', 0))).toEqual([6, 7, 8, 9]);
    const down = live.map((s) => (s.ok ? {url: s.url, ok: false as const, error: {code: 'UNAVAILABLE', message: 'gone'}, fetchedAt: 0} : s));
    expect(appendHistory(h, down).get(partitionKey(b.url, 'orders', 0))).toEqual([6, 7, 8, 9]);
  });
});

describe('mq top app - keys, polling, resize', () => {
  it('switches views with 1 2 3 and tab, sorts with s, pauses with p, quits with q', async () => {
    let polls = 0;
    const poll = async (): Promise<BrokerSnapshot[]> => withRate(++polls);
    const app = render(<App urls={[b.url, DEAD]} poll={poll} intervalMs={50} />);
    const frame = (): string => plain(app.lastFrame());
    await waitFor(() => polls >= 2 && frame().includes('serving'), {what: 'the first polls'});
    app.stdin.write('2');
    await waitFor(() => frame().includes('TOPIC/PARTITION'), {what: 'the topics view'});
    app.stdin.write('s');
    await waitFor(() => frame().includes('sort: in/s'), {what: 'sort by in/s'});
    app.stdin.write('\t');
    await waitFor(() => frame().includes('LAG TREND'), {what: 'the groups view after tab'});
    app.stdin.write('1');
    await waitFor(() => frame().includes('LOOP P99'), {what: 'the brokers view'});
    app.stdin.write('p');
    await waitFor(() => frame().includes('PAUSED'), {what: 'paused'});
    const pausedAt = polls;
    // while paused nothing is fetched: several intervals pass with no poll
    await new Promise((r) => setTimeout(r, 300));
    expect(polls).toBe(pausedAt);
    app.stdin.write('p');
    await waitFor(() => polls > pausedAt && !frame().includes('PAUSED'), {what: 'polling to resume'});
    app.stdin.write('q');
    await new Promise((r) => setTimeout(r, 100));
    const quitAt = polls;
    await new Promise((r) => setTimeout(r, 300));
    expect(polls).toBe(quitAt);
    app.cleanup();
  });

  it('keys typed faster than a render apply to the view they follow (2 then s sorts the topics view)', async () => {
    const app = render(<App urls={[b.url, DEAD]} poll={async () => withRate(3)} intervalMs={1000} />);
    await waitFor(() => plain(app.lastFrame()).includes('serving'), {what: 'the first poll'});
    app.stdin.write('2');
    app.stdin.write('s');
    await waitFor(() => plain(app.lastFrame()).includes('sort: in/s'), {what: 'the topics view sorted by in/s'});
    expect(plain(app.lastFrame())).toContain('TOPIC/PARTITION');
    app.cleanup();
  });

  it('follows the terminal size when it is resized', async () => {
    const app = render(<App urls={[b.url, DEAD]} poll={async () => withRate(3)} intervalMs={1000} />);
    await waitFor(() => plain(app.lastFrame()).includes('RSS'), {what: 'the wide layout (100 columns)'});
    Object.defineProperty(app.stdout, 'columns', {get: () => 50, configurable: true});
    app.stdout.emit('resize');
    await waitFor(() => !plain(app.lastFrame()).includes('RSS'), {what: 'the narrow layout'});
    for (const line of plain(app.lastFrame()).split('\n')) expect([...line].length).toBeLessThanOrEqual(50);
    app.cleanup();
  });
});
