import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {afterAll, describe, expect, it} from 'vitest';
import {MqError} from '../../src/errors.js';
import type {StatusModel} from '../../src/observe/status-model.js';
import {openSqliteStore, type NewMessage, type SqliteStore} from '../../src/storage/index.js';
import {convertAutoVacuum} from '../../src/storage/open.js';
import {SCHEMA} from '../../src/storage/sql.js';
import {startTestBroker, tempDir, waitFor, type TestBroker} from '../helpers/broker.js';

const brokers: TestBroker[] = [];
afterAll(async () => {
  await Promise.all(brokers.map((b) => b.stop({purge: true})));
});

const message = (bytes: number): NewMessage => ({id: null, key: null, producer: null, priority: 0, headers: null, valueType: 0, value: Buffer.alloc(bytes, 7), notBefore: 0});

function fill(store: SqliteStore, pid: number, batches: number, perBatch = 500, bytes = 1000): void {
  store.createPartition(pid);
  const first = store.partitionState(pid)!.lastIndex + 1;
  for (let b = 0; b < batches; b++) store.appendMessages(pid, {index: first + b, term: 1, timestamp: 1, messages: Array.from({length: perBatch}, () => message(bytes))});
}

describe('storage space', () => {
  it('space - freed pages are reused by new writes, and given back to the file system in bounded steps', async () => {
    const dir = tempDir('mq-space-');
    const store = await openSqliteStore({dataDir: dir});
    expect(store.stats().space?.autoVacuum).toBe('incremental');
    fill(store, 1, 20);
    const full = store.stats().space!;
    store.deleteBefore(1, 9000);
    const freed = store.stats().space!.freePages;
    expect(freed).toBeGreaterThan(full.pages / 2);
    expect(store.stats().retention).toMatchObject({passes: 1, messages: 9000, bytes: 9_000_000});

    // steady state: what retention freed is where new messages go, so the file does not grow
    fill(store, 1, 4);
    expect(store.stats().space!.pages).toBe(full.pages);
    expect(store.stats().space!.freePages).toBeLessThan(freed);

    // a bounded step gives back that many free pages (and the pointer-map pages that indexed them); the rest waits
    const before = store.stats().space!;
    const step = store.reclaim(100, 0);
    expect(step).toBeGreaterThanOrEqual(100);
    expect(step).toBeLessThan(105);
    expect(store.stats().space!).toMatchObject({pages: before.pages - step, freePages: before.freePages - 100});
    while (store.reclaim(2048, 64) > 0);
    const after = store.stats().space!;
    expect(after.freePages).toBe(64);
    expect(after.reclaimedPages).toBe(before.pages - after.pages);
    store.close();
    // the checkpoint at close cuts the file to the pages still in use
    expect(fs.statSync(path.join(dir, 'mq.db')).size).toBe(after.pages * after.pageBytes);
  });

  it('space - a database created before mq set incremental vacuum is converted when it opens (small ones), larger ones are left alone', async () => {
    const dir = tempDir('mq-space-');
    const raw = new Database(path.join(dir, 'mq.db'));
    raw.exec(SCHEMA);
    raw.pragma('user_version = 2');
    expect(raw.pragma('auto_vacuum', {simple: true})).toBe(0);
    expect(convertAutoVacuum(raw, path.join(dir, 'mq.db'), 1)).toBe(false);
    raw.close();
    const store = await openSqliteStore({dataDir: dir});
    expect(store.stats().space?.autoVacuum).toBe('incremental');
    store.close();
  });

  it('space - a removal rolled back with its transaction is not counted as removed', async () => {
    const store = await openSqliteStore({dataDir: tempDir('mq-space-')});
    fill(store, 1, 1, 10, 10);
    expect(() =>
      store.transaction(() => {
        store.deleteBefore(1, 5);
        throw new Error('later failure');
      }),
    ).toThrow('later failure');
    expect([store.stats().retention.messages, store.partitionState(1)!.logStart]).toEqual([0, 0]);
    store.close();
  });

  it('space - once a failure took the enclosing transaction with it, nested work is refused and nothing of the batch commits', async () => {
    const store = await openSqliteStore({dataDir: tempDir('mq-space-')});
    const db = (store as unknown as {db: Database.Database}).db;
    const outcomes: string[] = [];
    // what SQLite does when a statement fails for lack of space and it cannot undo just that statement
    const full = Object.assign(new Error('database or disk is full'), {code: 'SQLITE_FULL'});
    const run = (): void =>
      store.transaction(() => {
        store.putMeta('a', '1');
        for (const op of [() => (db.exec('ROLLBACK'), (() => { throw full; })()), () => store.putMeta('b', '2')]) {
          try {
            store.transaction(op);
            outcomes.push('ok');
          } catch (error) {
            outcomes.push((error as MqError).code);
          }
        }
      });
    expect(run).toThrow(MqError);
    expect(outcomes).toEqual(['DISK_FULL', 'DISK_FULL']);
    expect([store.getMeta('a'), store.getMeta('b')]).toEqual([undefined, undefined]);
    // and the store is usable afterwards
    store.transaction(() => store.putMeta('c', '3'));
    expect(store.getMeta('c')).toBe('3');
    store.close();
  });

  it('space - /status and /metrics show what retention removed, the file\'s free pages and the disk', async () => {
    const b = await startTestBroker({diskLowBytes: 1});
    brokers.push(b);
    await b.client.createTopic({name: 'short', partitions: 1, retention: {max_messages: 10}});
    for (let i = 0; i < 20; i++) await b.client.produce('short', Array.from({length: 10}, (_, k) => ({value: {i, k}})));
    const status = async (): Promise<StatusModel> => (await (await fetch(`${b.url}/status`)).json()) as StatusModel;
    const st = (await waitFor(async () => {
      const s = await status();
      return s.storage.retention!.messages_deleted >= 180 ? s : undefined;
    })) as StatusModel;
    const part = st.topics.find((t) => t.name === 'short')!.partitions[0]!;
    expect(st.storage.retention).toMatchObject({messages_deleted: part.retention_deleted});
    expect(st.storage.retention!.passes).toBeGreaterThan(0);
    expect(st.storage.space).toMatchObject({auto_vacuum: 'incremental', page_bytes: 4096});
    expect(st.storage.disk).toMatchObject({path: path.resolve(b.dataDir), low_bytes: 1, low: false, full: false, refused_writes: 0, reserve_bytes: 0});
    expect(st.storage.disk!.free_bytes).toBeGreaterThan(0);
    const metrics = await (await fetch(`${b.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^mq_retention_deleted_messages_total ${st.storage.retention!.messages_deleted}$`, 'm'));
    expect(metrics).toMatch(/^mq_disk_full 0$/m);
    expect(metrics).toMatch(/^mq_disk_low_threshold_bytes 1$/m);
  });
});
