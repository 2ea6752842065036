import fs from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {tempDir} from '../helpers/broker.js';
import {runMq} from '../helpers/process.js';

/** The `mq` binary as a user runs it: a detached broker, the demo order, consume, status, stop, restart. */
describe('mq CLI - end to end', () => {
  const cwd = tempDir('mq-e2e-');
  let url = '';
  const mq = (args: string[], opts: {input?: string} = {}) => runMq([...args], {cwd, env: {MQ_URL: url}, ...opts});

  beforeAll(async () => {
    const r = await runMq(['broker', 'start', '--detach', '--listen', '127.0.0.1:0'], {cwd});
    expect(r.code, r.stderr).toBe(0);
    const m = /broker started: (http:\/\/\S+) \(pid (\d+)\)/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    url = m![1]!;
    expect(fs.readFileSync(path.join(cwd, 'mq-data', 'broker.pid'), 'utf8').trim()).toBe(m![2]);
  }, 60_000);

  afterAll(async () => {
    await runMq(['broker', 'stop'], {cwd});
    fs.rmSync(cwd, {recursive: true, force: true});
  });

  it('publishes the demo order and prints each broker confirm', async () => {
    const r = await mq(['produce', '--order', '123']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    lines.forEach((l, i) => expect(l).toMatch(new RegExp(`^confirm seq ${i + 1} .*id order-123-${i + 1}\\): orders/[01]@${i}$`)));
  });

  it('consumes the three order messages as JSON lines, in seq order', async () => {
    const r = await mq(['consume', 'orders', '--from', 'earliest', '--max', '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const msgs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(msgs.map((m) => m.value.seq)).toEqual([1, 2, 3]);
    expect(msgs.map((m) => m.id)).toEqual(['order-123-1', 'order-123-2', 'order-123-3']);
    expect(msgs.every((m) => m.key === 'order-123' && m.producer === 'P1' && m.topic === 'orders')).toBe(true);
  });

  it('de-duplicates a re-published order (same transaction ids)', async () => {
    const r = await mq(['produce', '--order', '123', '--json']);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).duplicate)).toEqual([true, true, true]);
    const d = JSON.parse((await mq(['topic', 'describe', 'orders', '--json'])).stdout);
    expect(d.messages).toBe(3);
  });

  it('produces stdin lines (JSON or text) and reads them back', async () => {
    const r = await mq(['produce', 'lines', '--key', 'k'], {input: '{"a":1}\nplain text\n42\n'});
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['lines/0@0', 'lines/0@1', 'lines/0@2']);
    const c = await mq(['consume', 'lines', '--json']);
    expect(c.stdout.trim().split('\n').map((l) => JSON.parse(l).value)).toEqual([{a: 1}, 'plain text', 42]);
  });

  it('exits 3 when --max messages do not arrive before --timeout', async () => {
    const r = await mq(['consume', 'lines', '--max', '5', '--timeout', '500ms']);
    expect(r.code).toBe(3);
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
    expect(r.stderr).toMatch(/got 3 of 5/);
  });

  it('manages topics', async () => {
    expect((await mq(['topic', 'create', 'events', '--partitions', '3', '--retention-messages', '1000'])).code).toBe(0);
    const list = JSON.parse((await mq(['topic', 'list', '--json'])).stdout) as Array<{name: string}>;
    expect(list.map((t) => t.name)).toEqual(['events', 'lines', 'orders']);
    const up = JSON.parse((await mq(['topic', 'update', 'events', '--partitions', '4', '--json'])).stdout);
    expect(up).toMatchObject({partitions: 4, retention: {max_messages: 1000}});
    const again = await mq(['topic', 'create', 'events']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/TOPIC_EXISTS/);
    expect((await mq(['topic', 'delete', 'events'])).code).toBe(0);
  });

  it('consumes as a group member: a second run continues where the first stopped', async () => {
    await mq(['produce', 'jobs', 'j1', 'j2', 'j3', 'j4', 'j5']);
    const first = await mq(['consume', 'jobs', '--group', 'workers', '--max', '2', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim().split('\n').map((l) => JSON.parse(l).value)).toEqual(['j1', 'j2']);
    const rest = await mq(['consume', 'jobs', '--group', 'workers', '--json']);
    expect(rest.stdout.trim().split('\n').map((l) => JSON.parse(l).value)).toEqual(['j3', 'j4', 'j5']);
    const d = JSON.parse((await mq(['group', 'describe', 'workers', '--json'])).stdout);
    expect(d).toMatchObject({name: 'workers', lag: 0, members: []});
    expect((await mq(['group', 'reset', 'workers', '--to', 'earliest'])).code).toBe(0);
    const again = await mq(['consume', 'jobs', '--group', 'workers', '--max', '1', '--json']);
    expect(JSON.parse(again.stdout).value).toBe('j1');
    expect((await mq(['group', 'list'])).stdout).toMatch(/workers\s+stream\s+jobs/);
    expect((await mq(['group', 'delete', 'workers'])).code).toBe(0);
  });

  it('shows status as a table and as JSON', async () => {
    const t = await mq(['status']);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/fsync before ack/);
    expect(t.stdout).toMatch(/orders\s+1\s+1\s+0\s+3/);
    const j = JSON.parse((await mq(['status', '--json'])).stdout);
    expect(j.storage).toMatchObject({journal_mode: 'WAL', synchronous: 'FULL'});
  });

  it('reports usage errors with exit code 2 and bad requests with 1', async () => {
    expect((await mq(['produce'])).code).toBe(2);
    expect((await mq(['consume', 'orders', '--bogus'])).code).toBe(2);
    expect((await mq(['consume', 'orders', '--from', 'sometime'])).code).toBe(2);
    const bad = await mq(['consume', 'orders', '--partition', '7']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/PARTITION_NOT_FOUND/);
  });

  it('stops gracefully and keeps every message across a restart', async () => {
    const stop = await runMq(['broker', 'stop'], {cwd});
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(/broker stopped/);
    expect((await mq(['status'])).code).toBe(4);
    const start = await runMq(['broker', 'start', '--detach', '--listen', '127.0.0.1:0'], {cwd});
    expect(start.code, start.stderr).toBe(0);
    url = /broker started: (\S+)/.exec(start.stdout)![1]!;
    const r = await mq(['consume', 'orders', '--json']);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).value.seq)).toEqual([1, 2, 3]);
  }, 60_000);
});
