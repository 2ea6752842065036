import fs from 'node:fs';
import path from 'node:path';
import {MqError} from '../errors.js';
import {DB_FILE, convertAutoVacuum} from '../storage/open.js';
import {FORMAT_VERSION} from '../version.js';
import {MANIFEST_FILE, SECRET_FILE, readManifest, type BackupManifest} from './manifest.js';
import {checkIntegrity, copyPrivate, formatOf, fsyncPath, lockOwner, openDatabase, sha256File} from './sqlite-file.js';

export interface RestoreOptions {
  from: string;
  dataDir: string;
}

export interface RestoreResult {
  dataDir: string;
  manifest: BackupManifest;
  /** The backup's format is older: the broker upgrades it in place when it starts. */
  migrates: boolean;
  /** Stale files removed from the data directory (a WAL without its database would corrupt the restored one). */
  removed: string[];
}

/**
 * Puts a backup in place as a data directory, offline: the files are checked against the manifest, the database
 * against SQLite's integrity check and this mq's format, then copied in under a temporary name and renamed, so the
 * directory holds either the whole backup or nothing new. Refuses a directory that holds a database or is in use.
 */
export async function restoreDataDir(opts: RestoreOptions): Promise<RestoreResult> {
  const manifest = readManifest(opts.from);
  if (manifest.format_version > FORMAT_VERSION) {
    throw new MqError(
      'INVALID_CONFIG',
      `the backup holds data format ${manifest.format_version} (written by mq ${manifest.mq_version}); this mq reads up to format ${FORMAT_VERSION}. Restore it with that mq version or a newer one.`,
    );
  }
  for (const f of manifest.files) {
    const file = path.join(opts.from, f.name);
    if (!fs.existsSync(file)) throw new MqError('DATA_CORRUPTED', `the backup lacks ${f.name}, which ${MANIFEST_FILE} lists`);
    if ((await sha256File(file)) !== f.sha256) throw new MqError('DATA_CORRUPTED', `${file} does not match its checksum in ${MANIFEST_FILE}: the backup is damaged`);
  }
  const dir = path.resolve(opts.dataDir);
  const owner = lockOwner(dir);
  if (owner !== undefined) throw new MqError('INVALID_CONFIG', `a broker (pid ${owner}) is using ${dir}; stop it and restore into an empty directory`);
  if (fs.existsSync(path.join(dir, DB_FILE))) {
    throw new MqError('INVALID_CONFIG', `${dir} already holds a database; move it aside (or choose another --data-dir) and restore again`);
  }
  const secretBackup = manifest.files.some((f) => f.name === SECRET_FILE) ? path.join(opts.from, SECRET_FILE) : undefined;
  const secretHere = path.join(dir, SECRET_FILE);
  if (secretBackup && fs.existsSync(secretHere) && !fs.readFileSync(secretHere).equals(fs.readFileSync(secretBackup))) {
    throw new MqError('INVALID_CONFIG', `${secretHere} belongs to another cluster than the backup; remove it to restore this backup here`);
  }
  fs.mkdirSync(dir, {recursive: true});
  const removed: string[] = [];
  for (const stale of [`${DB_FILE}-wal`, `${DB_FILE}-shm`, `${DB_FILE}-journal`, 'LOCK']) {
    const f = path.join(dir, stale);
    if (fs.existsSync(f)) {
      fs.rmSync(f);
      removed.push(stale);
    }
  }
  const tmp = path.join(dir, `${DB_FILE}.restoring`);
  fs.copyFileSync(path.join(opts.from, DB_FILE), tmp);
  try {
    const db = await openDatabase(tmp, {readonly: false});
    try {
      checkIntegrity(db, tmp);
      const format = formatOf(db);
      if (format !== manifest.format_version) throw new MqError('DATA_CORRUPTED', `the backup's database has format ${format}, its manifest says ${manifest.format_version}`);
      // offline, so a database from before incremental vacuum can take the time to be rewritten with it, whatever its size
      convertAutoVacuum(db, tmp, Number.MAX_SAFE_INTEGER);
    } finally {
      db.close();
    }
    for (const side of ['-wal', '-shm', '-journal']) if (fs.existsSync(tmp + side)) throw new MqError('INTERNAL', `${tmp}${side} was left behind`);
    fsyncPath(tmp);
    fs.renameSync(tmp, path.join(dir, DB_FILE));
  } catch (error) {
    fs.rmSync(tmp, {force: true});
    throw error;
  }
  if (secretBackup && !fs.existsSync(secretHere)) copyPrivate(secretBackup, secretHere);
  fsyncPath(dir);
  return {dataDir: dir, manifest, migrates: manifest.format_version < FORMAT_VERSION, removed};
}
