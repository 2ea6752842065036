import fs from 'node:fs';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
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
    // must precede the first table: a new database returns freed pages to the file system (see SqliteStore.reclaim)
    if (isEmpty(db)) db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    // a WAL that grew during a burst (or a long backup read) is cut back to this size after its next checkpoint
    db.pragma(`journal_size_limit = ${WAL_KEEP_BYTES}`);
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
    convertAutoVacuum(db, file);
    const mode = String(db.pragma('journal_mode', {simple: true})).toLowerCase();
    if (mode !== 'wal') throw new MqError('INVALID_CONFIG', `could not enable WAL on ${file} (journal_mode=${mode})`);
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteStore(db, file);
}

const WAL_KEEP_BYTES = 64 * 1024 * 1024;
/** Databases up to this size are converted to incremental vacuum at start-up; larger ones through backup and restore. */
export const AUTO_VACUUM_CONVERT_BYTES_MAX = 256 * 1024 * 1024;

function isEmpty(db: BetterSqlite3.Database): boolean {
  return (db.prepare('SELECT count(*) AS n FROM sqlite_master').get() as {n: number}).n === 0;
}

/**
 * Databases created before mq set auto_vacuum never give space back. The setting only changes with a VACUUM, which
 * rewrites the whole file (and needs as much free space again, which is checked): done here for databases small
 * enough to be quick, else left to `mq restore` (offline, see docs/operations.md). A VACUUM that fails (a full disk)
 * changes nothing, and the broker runs on without it.
 */
export function convertAutoVacuum(db: BetterSqlite3.Database, file: string, maxBytes = AUTO_VACUUM_CONVERT_BYTES_MAX): boolean {
  if (db.pragma('auto_vacuum', {simple: true}) !== 0) return false;
  const bytes = fs.statSync(file).size + (fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0);
  if (bytes > maxBytes) return false;
  const st = fs.statfsSync(path.dirname(file));
  if (st.bavail * st.bsize < 2 * bytes + WAL_KEEP_BYTES) return false;
  try {
    db.pragma('auto_vacuum = INCREMENTAL');
    db.exec('VACUUM');
    return true;
  } catch {
    return false;
  }
}

export function openMemoryStore(opts?: MemoryStoreOptions): MemoryStore {
  return new MemoryStore(opts);
}

export type {LogStore};
