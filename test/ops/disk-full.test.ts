import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {StatusModel} from '../../src/observe/status-model.js';
import {startTestBroker, tempDir, waitFor, type TestBroker} from '../helpers/broker.js';
import {readPartition} from './helpers.js';

/*
 * A real full disk: the broker's data directory on a small tmpfs, filled up by a file beside it. Mounting needs root
 * (the CI machine runs the tests as root); without it this test fails, saying so, rather than passing untested.
 */
const TMPFS_BYTES = 24 * 1024 * 1024;
/** What the filler leaves free: room for a few batches, then SQLITE_FULL. */
const LEFT_FREE_BYTES = 1024 * 1024;
const mountPoint = tempDir('mq-diskfull-');
let mounted = false;
let broker: TestBroker | undefined;

beforeAll(() => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_BYTES},mode=0700`, 'tmpfs', mountPoint], {stdio: 'pipe'});
    mounted = true;
  } catch (error) {
    throw new Error(
      `the disk-full test needs a small tmpfs and could not mount one at ${mountPoint} (it must run as root, as CI does): ` +
        String((error as {stderr?: Buffer}).stderr ?? error),
    );
  }
});

afterAll(async () => {
  await broker?.stop();
  if (mounted) execFileSync('umount', ['-l', mountPoint]);
  fs.rmSync(mountPoint, {recursive: true, force: true});
});

interface Failure {
  code: string;
  written: unknown;
}

interface Answer {
  status: number;
  /** A batch: one result per message. A single message: its result, or its error. */
  body: {results?: Array<{offset?: number; error?: Failure}>; error?: Failure; offset?: number};
}

async function post(url: string, body: unknown): Promise<Answer> {
  const res = await fetch(`${url}/v1/topics/t/messages`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(body)});
  return {status: res.status, body: (await res.json()) as Answer['body']};
}

const batch = (i: number): unknown => ({messages: Array.from({length: 50}, (_, k) => ({id: `m${i}-${k}`, value: {i, k, pad: 'x'.repeat(2000)}, partition: 0}))});
const failures = (a: Answer): Failure[] => (a.body.results ?? []).flatMap((r) => (r.error ? [r.error] : []));

const status = async (url: string): Promise<StatusModel> => (await (await fetch(`${url}/status`)).json()) as StatusModel;

describe('disk full', () => {
  it('disk - a full disk refuses writes with 507 DISK_FULL, written: false; reads go on; writes resume once space is freed; the database stays intact', async () => {
    const dataDir = path.join(mountPoint, 'data');
    broker = await startTestBroker({dataDir, diskLowBytes: 4 * 1024 * 1024});
    const url = broker.url;
    await broker.client.createTopic({name: 't', partitions: 1});
    const first = await post(url, batch(0));
    expect([first.status, failures(first)]).toEqual([200, []]);

    // leave about LEFT_FREE_BYTES on the file system, then write until the broker runs out
    const filler = path.join(mountPoint, 'filler');
    const st = fs.statfsSync(mountPoint);
    fs.writeFileSync(filler, Buffer.alloc(Math.max(0, st.bavail * st.bsize - LEFT_FREE_BYTES), 1));
    let i = 1;
    const written: number[] = [0];
    let met: Answer | undefined;
    for (; i < 200 && !met; i++) {
      const a = await post(url, batch(i));
      expect(a.status).toBe(200);
      if (failures(a).length === 0) written.push(i);
      else met = a;
    }
    expect(met, 'the disk never filled up').toBeDefined();
    const metBatch = i - 1;
    // the batch that met the full disk is kept and retried: it may still land once space is back ("unknown")
    expect(failures(met!).map((f) => [f.code, f.written])).toContainEqual(['DISK_FULL', 'unknown']);
    // from then on writes are refused before anything is appended: a single message gets 507, a batch one per message
    const single = await post(url, {id: 'single', value: 'x', partition: 0});
    expect([single.status, single.body.error?.code, single.body.error?.written]).toEqual([507, 'DISK_FULL', false]);
    const refused = await post(url, batch(i++));
    expect(failures(refused)).toEqual(Array.from({length: 50}, () => expect.objectContaining({code: 'DISK_FULL', written: false})));

    const full = await status(url);
    expect(full.storage.disk).toMatchObject({full: true, low: true, low_bytes: 4 * 1024 * 1024});
    expect(full.storage.disk!.refused_writes).toBeGreaterThan(0);
    expect(full.topics.find((t) => t.name === 't')!.partitions[0]!.role).toBe('leader');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^mq_disk_full 1$/m);

    // reads go on: every acknowledged batch is there, in order
    const before = await readPartition(broker.client, 't', 0);
    const ids = new Set(before.map((m) => m.id));
    for (const b of written) for (let k = 0; k < 50; k++) expect(ids.has(`m${b}-${k}`), `m${b}-${k}`).toBe(true);

    // the operator frees space; the broker notices on its own (no restart) and writes again
    fs.rmSync(filler);
    const resumed = await waitFor(async () => {
      const a = await post(url, batch(i++));
      return failures(a).length === 0 ? a : undefined;
    }, {timeoutMs: 10_000, what: 'writes to resume'});
    expect(resumed?.body.results).toHaveLength(50);
    expect((await status(url)).storage.disk).toMatchObject({full: false});
    const after = await readPartition(broker.client, 't', 0);
    expect(after.slice(0, before.length).map((m) => m.id)).toEqual(before.map((m) => m.id));
    expect(after.map((m) => m.offset)).toEqual(after.map((_, n) => n));
    // the batch answered "unknown" landed whole or not at all (it was one entry of the failed, retried round)
    expect([0, 50]).toContain(after.filter((m) => m.id?.startsWith(`m${metBatch}-`)).length);

    await broker.stop();
    broker = undefined;
    const db = new Database(path.join(dataDir, 'mq.db'), {readonly: true});
    expect(db.pragma('integrity_check', {simple: true})).toBe('ok');
    db.close();
  });
});
