import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import Database from 'better-sqlite3';
import {afterAll, describe, expect, it} from 'vitest';
import {PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN} from '../../src/cluster/transport/handshake.js';
import type {StatusModel} from '../../src/observe/status-model.js';
import {FORMAT_VERSION} from '../../src/version.js';
import {startTestBroker, tempDir, type TestBroker} from '../helpers/broker.js';
import {runMq} from '../helpers/process.js';
import {readPartition} from './helpers.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/format-1.sql');
const brokers: TestBroker[] = [];

afterAll(async () => {
  await Promise.all(brokers.map((b) => b.stop({purge: true})));
});

/** A data directory as the last format-1 build of mq left it (test/ops/fixtures/format-1.sql says what it holds). */
function format1DataDir(): string {
  const dir = tempDir('mq-format1-');
  const db = new Database(path.join(dir, 'mq.db'));
  db.exec(fs.readFileSync(FIXTURE, 'utf8'));
  db.close();
  return dir;
}

function newerDataDir(): string {
  const dir = tempDir('mq-format-new-');
  const db = new Database(path.join(dir, 'mq.db'));
  db.exec('CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  db.pragma(`user_version = ${FORMAT_VERSION + 1}`);
  db.close();
  return dir;
}

describe('data format and versions', () => {
  it('format - a format-1 data directory is migrated at start-up: topics, messages, group offsets and queue state survive, writes carry on', async () => {
    const dir = format1DataDir();
    const b = await startTestBroker({dataDir: dir});
    brokers.push(b);
    const raw = new Database(path.join(dir, 'mq.db'), {readonly: true});
    expect([raw.pragma('user_version', {simple: true}), raw.pragma('auto_vacuum', {simple: true})]).toEqual([FORMAT_VERSION, 2]);
    raw.close();

    expect((await b.client.listTopics()).map((t) => t.name).sort()).toEqual(['events', 'orders']);
    const p0 = await readPartition(b.client, 'orders', 0);
    const p1 = await readPartition(b.client, 'orders', 1);
    expect(p0.map((m) => [m.offset, m.id, m.key, m.producer, m.headers, m.value])).toEqual([
      [0, 'order-3', 'k3', 'P1', {h: 'v'}, {order: 3, content: 'hello'}],
      [1, 'order-4', 'k4', 'P1', {h: 'v'}, {order: 4, content: 'hello'}],
      [2, 'order-5', 'k5', 'P1', {h: 'v'}, {order: 5, content: 'hello'}],
    ]);
    expect(p1.map((m) => m.id)).toEqual(['order-1', 'order-2']);
    const events = await readPartition(b.client, 'events', 0);
    expect(events.map((m) => [m.value ?? m.value_base64, m.priority])).toEqual([
      ['a', 0],
      ['AAEC', 0],
      [3, 5],
    ]);
    const g1 = await b.client.describeGroup('g1');
    expect(g1.partitions?.find((p) => p.topic === 'orders' && p.partition === 0)?.committed).toBe(2);
    // queue group w: offset 0 was acked, offset 2 (priority 5) is leased, offset 1 waits
    const w = (await b.client.describeGroup('w')) as unknown as {backlog: number; in_flight: number; partitions: Array<{acked_below: number}>};
    expect([w.backlog, w.in_flight, w.partitions[0]!.acked_below]).toEqual([2, 1, 1]);

    // new messages follow the old ones in the same partition log
    expect((await b.client.produce('orders', [{value: 'next', partition: 0}]))[0]).toMatchObject({offset: 3, duplicate: false});
  });

  it('format - a data directory from a newer format is refused with a message that says what to do', async () => {
    await expect(startTestBroker({dataDir: newerDataDir()})).rejects.toThrow(`has data format ${FORMAT_VERSION + 1}; this mq understands up to ${FORMAT_VERSION}. Upgrade mq.`);
    const cli = await runMq(['broker', 'start', '--data-dir', newerDataDir(), '--listen', '127.0.0.1:0']);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(new RegExp(`data format ${FORMAT_VERSION + 1}; this mq understands up to ${FORMAT_VERSION}\\. Upgrade mq\\.`));
  });

  it('versions - mq --version and /status name the data format and the peer protocol versions', async () => {
    const v = await runMq(['--version']);
    expect(v.stdout.trim()).toMatch(new RegExp(`^mq/\\S+ \\S+ node-\\S+ \\(data format ${FORMAT_VERSION}, peer protocol ${PROTOCOL_VERSION_MIN}-${PROTOCOL_VERSION_MAX}\\)$`));
    const b = await startTestBroker({inMemory: true});
    brokers.push(b);
    const st = (await (await fetch(`${b.url}/status`)).json()) as StatusModel;
    expect([st.node.format_version, st.node.peer_protocol]).toEqual([FORMAT_VERSION, {min: PROTOCOL_VERSION_MIN, max: PROTOCOL_VERSION_MAX}]);
  });
});
