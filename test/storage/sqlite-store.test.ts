import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import {describe, expect, it} from 'vitest';
import {DB_FILE, openSqliteStore, type LogStore} from '../../src/storage/index.js';
import {runConformance} from './conformance.js';

runConformance('sqlite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-store-'));
  let store: LogStore = await openSqliteStore({dataDir: dir});
  return {
    get store() {
      return store;
    },
    async reopen() {
      store.close();
      store = await openSqliteStore({dataDir: dir});
      return store;
    },
    corrupt(pid, offset) {
      const raw = new Database(path.join(dir, DB_FILE));
      raw.prepare(`UPDATE m${pid} SET value = CAST(? AS BLOB) WHERE off = ?`).run('tampered', offset);
      raw.close();
    },
    async cleanup() {
      store.close();
      fs.rmSync(dir, {recursive: true, force: true});
    },
  };
});

describe('SqliteStore - opening', () => {
  it('runs in WAL mode with synchronous=FULL by default', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-store-'));
    const s = await openSqliteStore({dataDir: dir});
    expect(s.stats()).toMatchObject({journalMode: 'WAL', synchronous: 'FULL'});
    s.close();
    fs.rmSync(dir, {recursive: true, force: true});
  });

  it('refuses synchronous below FULL without --unsafe-no-fsync', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-store-'));
    await expect(openSqliteStore({dataDir: dir, synchronous: 'normal'})).rejects.toMatchObject({code: 'INVALID_CONFIG'});
    const s = await openSqliteStore({dataDir: dir, synchronous: 'normal', unsafeNoFsync: true});
    expect(s.stats().synchronous).toBe('NORMAL');
    s.close();
    fs.rmSync(dir, {recursive: true, force: true});
  });

  it('refuses a data directory written by a newer format', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-store-'));
    const raw = new Database(path.join(dir, DB_FILE));
    raw.pragma('user_version = 999');
    raw.close();
    await expect(openSqliteStore({dataDir: dir})).rejects.toThrow(/data format 999/);
    fs.rmSync(dir, {recursive: true, force: true});
  });
});
