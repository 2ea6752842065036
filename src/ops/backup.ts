import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {MqError} from '../errors.js';
import {DB_FILE} from '../storage/open.js';
import {FORMAT_VERSION, VERSION} from '../version.js';
import {BACKUP_FORMAT, MANIFEST_FILE, SECRET_FILE, type BackupManifest} from './manifest.js';
import {checkIntegrity, copyPrivate, formatOf, fsyncPath, openDatabase, sha256File} from './sqlite-file.js';

export interface BackupOptions {
  dataDir: string;
  /** A directory that does not exist yet (or is empty); it appears complete or not at all. */
  to: string;
  /** Wall-clock ms, for the manifest. */
  now?: () => number;
}

export interface BackupResult {
  dir: string;
  manifest: BackupManifest;
  copyMs: number;
}

/**
 * An online backup of a broker's data directory, taken from the database file while the broker runs (or not).
 *
 * Why the file and not the broker: it works on a broker that is stuck or down (a full disk is when a backup is wanted
 * most), adds no endpoint that writes files where an HTTP client says, and needs nothing from the broker. Why it is
 * consistent: SQLite's online backup copies every page inside one read transaction (the step after the first copies
 * all remaining pages), and in WAL mode a reader sees one committed state while the broker keeps writing. Everything a
 * broker keeps (messages, Raft log, hard state and snapshots, metadata, group and queue state) is in that one file, so
 * the copy is the broker as of one commit; the broker's WAL just cannot be checkpointed past it for the copy's duration.
 */
export async function backupDataDir(opts: BackupOptions): Promise<BackupResult> {
  const source = path.join(opts.dataDir, DB_FILE);
  if (!fs.existsSync(source)) throw new MqError('INVALID_CONFIG', `${path.resolve(opts.dataDir)} holds no mq database (${DB_FILE})`);
  const dir = path.resolve(opts.to);
  if (fs.existsSync(dir) && (!fs.statSync(dir).isDirectory() || fs.readdirSync(dir).length > 0)) {
    throw new MqError('INVALID_CONFIG', `${dir} already exists and is not an empty directory; back up into a new one`);
  }
  fs.mkdirSync(path.dirname(dir), {recursive: true});
  const staging = `${dir}.partial-${process.pid}`;
  fs.rmSync(staging, {recursive: true, force: true});
  fs.mkdirSync(staging);
  try {
    const now = opts.now ?? Date.now;
    const started = performance.now();
    const copy = path.join(staging, DB_FILE);
    const src = await openDatabase(source, {readonly: true});
    try {
      src.pragma('busy_timeout = 10000');
      // the first step only measures; returning "everything" makes the next one copy all pages in one read transaction
      await src.backup(copy, {progress: () => 0x7fffffff});
    } finally {
      src.close();
    }
    const copyMs = performance.now() - started;
    const summary = await inspectCopy(copy);
    fsyncPath(copy);
    const files = [{name: DB_FILE, bytes: fs.statSync(copy).size, sha256: await sha256File(copy)}];
    const secret = path.join(opts.dataDir, SECRET_FILE);
    if (fs.existsSync(secret)) {
      copyPrivate(secret, path.join(staging, SECRET_FILE));
      files.push({name: SECRET_FILE, bytes: fs.statSync(secret).size, sha256: await sha256File(secret)});
    }
    const manifest: BackupManifest = {
      kind: 'mq-backup',
      backup_format: BACKUP_FORMAT,
      mq_version: VERSION,
      format_version: summary.format,
      created_at: new Date(now()).toISOString(),
      source: {data_dir: path.resolve(opts.dataDir), hostname: os.hostname()},
      cluster: {...summary.cluster, clustered: fs.existsSync(secret)},
      topics: summary.topics,
      partitions: summary.partitions,
      messages: summary.messages,
      files,
    };
    const mf = path.join(staging, MANIFEST_FILE);
    fs.writeFileSync(mf, JSON.stringify(manifest, null, 2) + '\n');
    fsyncPath(mf);
    fsyncPath(staging);
    if (fs.existsSync(dir)) fs.rmdirSync(dir);
    fs.renameSync(staging, dir);
    fsyncPath(path.dirname(dir));
    return {dir, manifest, copyMs};
  } catch (error) {
    fs.rmSync(staging, {recursive: true, force: true});
    throw error;
  }
}

/**
 * Checks the copy and makes it one self-contained file (rollback journal instead of WAL: no -wal/-shm beside it, so
 * it can be read from read-only media; the broker that opens it turns WAL back on), and reads what the manifest says.
 */
async function inspectCopy(file: string): Promise<{format: number; cluster: {id: string | null; brokers: number[]}; topics: number; partitions: number; messages: number}> {
  const db = await openDatabase(file, {readonly: false});
  try {
    checkIntegrity(db, file);
    db.pragma('journal_mode = DELETE');
    const format = formatOf(db);
    if (format > FORMAT_VERSION) {
      // a backup of a newer mq's data is still a good copy; only restoring it needs that newer mq
      return {format, cluster: {id: null, brokers: []}, topics: 0, partitions: 0, messages: 0};
    }
    const meta = (key: string): string | undefined => (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as {value: string} | undefined)?.value;
    const brokers = (db.prepare("SELECT key FROM meta WHERE key >= 'broker/' AND key < 'broker0'").all() as Array<{key: string}>).map((r) => Number(r.key.slice(7)));
    const topics = (db.prepare("SELECT count(*) AS n FROM meta WHERE key >= 'topic/' AND key < 'topic0'").get() as {n: number}).n;
    const parts = db.prepare('SELECT count(*) AS n, coalesce(sum(next_off - log_start), 0) AS m FROM partitions WHERE pid > 0').get() as {n: number; m: number};
    return {format, cluster: {id: meta('cluster/id') ?? null, brokers: brokers.sort((a, b) => a - b)}, topics, partitions: parts.n, messages: parts.m};
  } finally {
    db.close();
  }
}
