import crypto from 'node:crypto';
import fs from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import {MqError} from '../errors.js';
import {sqliteNativeBinding} from '../storage/native.js';

/** Opens a database file outside a broker (backup, restore), with the addon the single executable embeds. */
export async function openDatabase(file: string, opts: {readonly: boolean}): Promise<BetterSqlite3.Database> {
  const {default: Database} = await import('better-sqlite3');
  const binding = sqliteNativeBinding();
  try {
    return new Database(file, {readonly: opts.readonly, fileMustExist: true, ...(binding ? {nativeBinding: binding as unknown as string} : {})});
  } catch (error) {
    throw new MqError('INVALID_CONFIG', `cannot open ${file}: ${(error as Error).message}`);
  }
}

/** `PRAGMA integrity_check`: every page, index and constraint; throws with what SQLite found. */
export function checkIntegrity(db: BetterSqlite3.Database, file: string): void {
  const rows = db.pragma('integrity_check') as Array<{integrity_check: string}>;
  const problems = rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
  if (problems.length > 0) throw new MqError('DATA_CORRUPTED', `${file} failed its integrity check: ${problems.slice(0, 5).join('; ')}`);
}

/** The on-disk format a database declares (PRAGMA user_version). */
export function formatOf(db: BetterSqlite3.Database): number {
  return db.pragma('user_version', {simple: true}) as number;
}

export function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export async function sha256File(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** A private copy (the cluster secret): written, synced, mode 0600. */
export function copyPrivate(from: string, to: string): void {
  fs.copyFileSync(from, to);
  fs.chmodSync(to, 0o600);
  fsyncPath(to);
}

/** A live broker's pid from `<dir>/LOCK`, if that process still runs. */
export function lockOwner(dir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(`${dir}/LOCK`, 'utf8'));
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}
