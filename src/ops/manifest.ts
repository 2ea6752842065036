import fs from 'node:fs';
import path from 'node:path';
import {MqError} from '../errors.js';

/** What `mq backup` writes beside the database: enough to check the copy and to say what it holds before restoring it. */
export interface BackupManifest {
  kind: 'mq-backup';
  /** The layout of the backup directory itself (this file, the files beside it). */
  backup_format: number;
  mq_version: string;
  /** The database's on-disk format (PRAGMA user_version): a restore needs an mq that reads it. */
  format_version: number;
  created_at: string;
  source: {data_dir: string; hostname: string};
  /** `brokers`: the cluster's broker ids as the backed-up broker knew them; `clustered`: the cluster secret is included. */
  cluster: {id: string | null; brokers: number[]; clustered: boolean};
  topics: number;
  partitions: number;
  messages: number;
  files: Array<{name: string; bytes: number; sha256: string}>;
}

export const BACKUP_FORMAT = 1;
export const MANIFEST_FILE = 'manifest.json';
export const SECRET_FILE = 'cluster.secret';

export function readManifest(dir: string): BackupManifest {
  const file = path.join(dir, MANIFEST_FILE);
  let m: Partial<BackupManifest>;
  try {
    m = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<BackupManifest>;
  } catch (error) {
    throw new MqError('INVALID_CONFIG', `${path.resolve(dir)} is not an mq backup: cannot read ${MANIFEST_FILE} (${(error as Error).message})`);
  }
  if (m.kind !== 'mq-backup' || !Array.isArray(m.files) || typeof m.format_version !== 'number') {
    throw new MqError('INVALID_CONFIG', `${file} is not an mq backup manifest`);
  }
  if ((m.backup_format ?? 0) > BACKUP_FORMAT) {
    throw new MqError('INVALID_CONFIG', `${file} has backup layout ${m.backup_format}; this mq (${BACKUP_FORMAT}) is too old to restore it`);
  }
  return m as BackupManifest;
}
