import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {describe, expect, it} from 'vitest';
import {backupDataDir, readManifest, restoreDataDir} from '../../src/ops/index.js';
import {openSqliteStore} from '../../src/storage/index.js';
import {FORMAT_VERSION} from '../../src/version.js';
import {tempDir} from '../helpers/broker.js';

/** A small data directory, written by the store (no broker needed), with a cluster secret when asked. */
async function dataDir(opts: {secret?: string} = {}): Promise<string> {
  const dir = tempDir('mq-ops-');
  const store = await openSqliteStore({dataDir: dir});
  store.putMeta('cluster/id', 'c-test');
  store.putMeta('broker/1', '{"id":1}');
  store.close();
  if (opts.secret) fs.writeFileSync(path.join(dir, 'cluster.secret'), opts.secret, {mode: 0o600});
  return dir;
}

const backupDir = (): string => path.join(tempDir('mq-ops-backup-'), 'b');

describe('backup and restore - checks', () => {
  it('ops - a backup holds the database and the cluster secret, checksummed; a restore puts both in place', async () => {
    const secret = 'a'.repeat(64);
    const to = backupDir();
    const {manifest} = await backupDataDir({dataDir: await dataDir({secret}), to, now: () => Date.UTC(2026, 0, 31)});
    expect(manifest).toMatchObject({kind: 'mq-backup', format_version: FORMAT_VERSION, created_at: '2026-01-31T00:00:00.000Z', cluster: {id: 'c-test', brokers: [1], clustered: true}});
    expect(manifest.files.map((f) => f.name)).toEqual(['mq.db', 'cluster.secret']);
    expect(fs.statSync(path.join(to, 'cluster.secret')).mode & 0o777).toBe(0o600);
    // one self-contained file: the copy uses a rollback journal, with nothing beside it
    expect(fs.readdirSync(to).sort()).toEqual(['cluster.secret', 'manifest.json', 'mq.db']);
    expect(readManifest(to)).toEqual(manifest);

    const target = tempDir('mq-ops-restore-');
    // a WAL left behind without its database would be replayed into the restored one: it goes
    fs.writeFileSync(path.join(target, 'mq.db-wal'), 'stale');
    const r = await restoreDataDir({from: to, dataDir: target});
    expect(r.removed).toEqual(['mq.db-wal']);
    expect(fs.readFileSync(path.join(target, 'cluster.secret'), 'utf8')).toBe(secret);
    const store = await openSqliteStore({dataDir: target});
    expect(store.getMeta('cluster/id')).toBe('c-test');
    store.close();
  });

  it('ops - restore refuses a damaged backup, a newer format, a directory with a database, one in use, or another cluster\'s secret', async () => {
    const to = backupDir();
    await backupDataDir({dataDir: await dataDir({secret: 'b'.repeat(64)}), to});

    const damaged = backupDir();
    fs.cpSync(to, damaged, {recursive: true});
    const db = path.join(damaged, 'mq.db');
    const bytes = fs.readFileSync(db);
    bytes[bytes.length - 1] ^= 0xff;
    fs.writeFileSync(db, bytes);
    await expect(restoreDataDir({from: damaged, dataDir: tempDir()})).rejects.toThrow(/does not match its checksum in manifest.json: the backup is damaged/);

    const newer = backupDir();
    fs.cpSync(to, newer, {recursive: true});
    const m = readManifest(newer);
    fs.writeFileSync(path.join(newer, 'manifest.json'), JSON.stringify({...m, format_version: FORMAT_VERSION + 1, mq_version: '9.0.0'}));
    await expect(restoreDataDir({from: newer, dataDir: tempDir()})).rejects.toThrow(
      `the backup holds data format ${FORMAT_VERSION + 1} (written by mq 9.0.0); this mq reads up to format ${FORMAT_VERSION}`,
    );

    const holding = await dataDir();
    await expect(restoreDataDir({from: to, dataDir: holding})).rejects.toThrow(/already holds a database/);

    const inUse = tempDir();
    fs.writeFileSync(path.join(inUse, 'LOCK'), String(process.pid));
    await expect(restoreDataDir({from: to, dataDir: inUse})).rejects.toThrow(`a broker (pid ${process.pid}) is using`);

    const otherCluster = tempDir();
    fs.writeFileSync(path.join(otherCluster, 'cluster.secret'), 'c'.repeat(64));
    await expect(restoreDataDir({from: to, dataDir: otherCluster})).rejects.toThrow(/belongs to another cluster than the backup/);
    // nothing was left behind by the refusals
    expect(fs.readdirSync(otherCluster)).toEqual(['cluster.secret']);
  });

  it('ops - backup refuses a directory without a database and a target that holds something; a failed backup leaves no target', async () => {
    await expect(backupDataDir({dataDir: tempDir(), to: backupDir()})).rejects.toThrow(/holds no mq database/);
    const taken = tempDir();
    fs.writeFileSync(path.join(taken, 'x'), '');
    await expect(backupDataDir({dataDir: await dataDir(), to: taken})).rejects.toThrow(/already exists and is not an empty directory/);

    const broken = tempDir();
    fs.writeFileSync(path.join(broken, 'mq.db'), 'not a database');
    const to = backupDir();
    await expect(backupDataDir({dataDir: broken, to})).rejects.toThrow();
    expect(fs.existsSync(to)).toBe(false);
    expect(fs.readdirSync(path.dirname(to))).toEqual([]);
  });

  it('ops - a backup of a newer format is still a faithful copy (only restoring it needs that mq)', async () => {
    const dir = tempDir();
    const raw = new Database(path.join(dir, 'mq.db'));
    raw.exec('CREATE TABLE future (x)');
    raw.pragma(`user_version = ${FORMAT_VERSION + 1}`);
    raw.close();
    const {manifest} = await backupDataDir({dataDir: dir, to: backupDir()});
    expect(manifest.format_version).toBe(FORMAT_VERSION + 1);
  });
});
