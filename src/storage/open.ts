import fs from 'node:fs';
import path from 'node:path';
import {MqError} from '../errors.js';
import {MemoryStore, type MemoryStoreOptions} from './memory-store.js';
import {sqliteNativeBinding} from './native.js';
import {migrate} from './migrate.js';
import {FORMAT_VERSION, SCHEMA} from './sql.js';
import {SqliteStore} from './sqlite-store.js';
import type {LogStore} from './types.js';

export type SynchronousLevel = 'full' | 'normal' | 'off';

export interface OpenStoreOptions {
  /** Directory holding `mq.db`; created if missing. */
  dataDir: string;
  synchronous?: SynchronousLevel;
  /** Must be set to run with synchronous below FULL: acknowledged writes can then be lost on power failure. */
  unsafeNoFsync?: boolean;
  /** SQLite page cache size in bytes. */
  cacheBytes?: number;
}

export const DB_FILE = 'mq.db';

/** Opens (or creates) the broker's database: WAL, synchronous=FULL unless explicitly unsafe, format version checked. */
export async function openSqliteStore(opts: OpenStoreOptions): Promise<SqliteStore> {
  const sync = opts.synchronous ?? (opts.unsafeNoFsync ? 'off' : 'full');
  if (sync !== 'full' && !opts.unsafeNoFsync) {
    throw new MqError('INVALID_CONFIG', `synchronous=${sync.toUpperCase()} can lose acknowledged writes; it needs --unsafe-no-fsync`);
  }
  fs.mkdirSync(opts.dataDir, {recursive: true});
  const file = path.join(opts.dataDir, DB_FILE);
  const {default: Database} = await import('better-sqlite3');
  const binding = sqliteNativeBinding();
  const db = new Database(file, binding ? {nativeBinding: binding as unknown as string} : {});
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${sync.toUpperCase()}`);
    db.pragma(`cache_size = -${Math.ceil((opts.cacheBytes ?? 64 * 1024 * 1024) / 1024)}`);
    db.pragma('temp_store = MEMORY');
    db.pragma('busy_timeout = 5000');
    const version = db.pragma('user_version', {simple: true}) as number;
    if (version > FORMAT_VERSION) {
      throw new MqError('INVALID_CONFIG', `${file} has data format ${version}; this mq understands up to ${FORMAT_VERSION}. Upgrade mq.`);
    }
    const fresh = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'partitions'").get() as {n: number}).n === 0;
    db.exec(SCHEMA);
    if (version < FORMAT_VERSION) {
      if (fresh || version === 0) db.pragma(`user_version = ${FORMAT_VERSION}`);
      else migrate(db, version, FORMAT_VERSION);
    }
    const mode = String(db.pragma('journal_mode', {simple: true})).toLowerCase();
    if (mode !== 'wal') throw new MqError('INVALID_CONFIG', `could not enable WAL on ${file} (journal_mode=${mode})`);
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteStore(db, file);
}

export function openMemoryStore(opts?: MemoryStoreOptions): MemoryStore {
  return new MemoryStore(opts);
}

export type {LogStore};
