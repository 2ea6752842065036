/** Every SQL statement mq runs, by name, in one place. Partition tables are `m<pid>` (one table per partition). */

export const FORMAT_VERSION = 2;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS partitions (
  pid INTEGER PRIMARY KEY,
  next_off INTEGER NOT NULL, log_start INTEGER NOT NULL, bytes INTEGER NOT NULL,
  first_idx INTEGER NOT NULL, last_idx INTEGER NOT NULL, last_term INTEGER NOT NULL, last_ts INTEGER NOT NULL,
  applied INTEGER NOT NULL DEFAULT 0, hw INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS entries (
  pid INTEGER NOT NULL, idx INTEGER NOT NULL, term INTEGER NOT NULL, kind INTEGER NOT NULL,
  first_off INTEGER NOT NULL, count INTEGER NOT NULL, data BLOB, crc INTEGER NOT NULL,
  PRIMARY KEY (pid, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hard_state (gid INTEGER PRIMARY KEY, term INTEGER NOT NULL, vote INTEGER NOT NULL, commit_idx INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS raft_snapshot (gid INTEGER PRIMARY KEY, idx INTEGER NOT NULL, term INTEGER NOT NULL, conf TEXT NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS queue_floor (pid INTEGER NOT NULL, grp TEXT NOT NULL, floor INTEGER NOT NULL, PRIMARY KEY (pid, grp)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS queue_state (
  pid INTEGER NOT NULL, grp TEXT NOT NULL, off INTEGER NOT NULL, st INTEGER NOT NULL, deliveries INTEGER NOT NULL,
  lease_id TEXT, until INTEGER NOT NULL, err TEXT,
  PRIMARY KEY (pid, grp, off)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dedup_spill (
  pid INTEGER NOT NULL, id TEXT NOT NULL, off INTEGER NOT NULL, ts INTEGER NOT NULL, fp INTEGER NOT NULL,
  PRIMARY KEY (pid, id)
) WITHOUT ROWID;
`;

export const table = (pid: number): string => `m${pid}`;

/** Messages: off is the rowid (the fastest key SQLite has). The partial index serves the queue's by-priority lookup and costs nothing for priority 0. */
export const createPartitionSql = (pid: number): string => `
CREATE TABLE IF NOT EXISTS m${pid} (
  off INTEGER PRIMARY KEY, ts INTEGER NOT NULL, id TEXT, key TEXT, producer TEXT, priority INTEGER NOT NULL,
  headers TEXT, vtype INTEGER NOT NULL, value BLOB NOT NULL, crc INTEGER NOT NULL, nb INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS m${pid}_prio ON m${pid} (priority, off) WHERE priority > 0;
`;

export const dropPartitionSql = (pid: number): string => `DROP TABLE IF EXISTS m${pid};`;

export const MSG_COLUMNS = 'off, ts, id, key, producer, priority, headers, vtype, value, crc, nb';

export const partitionSql = (pid: number) => ({
  insert: `INSERT INTO m${pid} (${MSG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  candidates: `SELECT off, priority, nb FROM m${pid} WHERE off >= ? AND off < ? ORDER BY off LIMIT ?`,
  // "priority > 0" spelled out so that SQLite may use the partial index (it cannot know that ? is above 0)
  priorityCandidates: `SELECT off, priority, nb FROM m${pid} WHERE priority = ? AND priority > 0 AND off >= ? AND off < ? ORDER BY off LIMIT ?`,
  readRange: `SELECT ${MSG_COLUMNS} FROM m${pid} WHERE off >= ? AND off < ? ORDER BY off LIMIT ?`,
  readOne: `SELECT ${MSG_COLUMNS} FROM m${pid} WHERE off = ?`,
  tsAt: `SELECT ts FROM m${pid} WHERE off = ?`,
  ids: `SELECT id, off, ts FROM m${pid} WHERE off >= ? AND id IS NOT NULL ORDER BY off`,
  deleteBefore: `DELETE FROM m${pid} WHERE off < ?`,
  deleteFrom: `DELETE FROM m${pid} WHERE off >= ?`,
  bytesBefore: `SELECT count(*) AS n, coalesce(sum(length(value)), 0) AS b FROM m${pid} WHERE off < ?`,
  bytesFrom: `SELECT coalesce(sum(length(value)), 0) AS b FROM m${pid} WHERE off >= ?`,
  sizesFrom: `SELECT off, length(value) AS b FROM m${pid} WHERE off >= ? ORDER BY off LIMIT ?`,
  firstAtOrAfterTs: `SELECT off FROM m${pid} WHERE off >= ? AND ts >= ? ORDER BY off LIMIT 1`,
});

export const STATEMENTS = {
  partitionGet: 'SELECT pid, next_off, log_start, bytes, first_idx, last_idx, last_term, last_ts, applied, hw FROM partitions WHERE pid = ?',
  partitionList: 'SELECT pid, next_off, log_start, bytes, first_idx, last_idx, last_term, last_ts, applied, hw FROM partitions ORDER BY pid',
  partitionApplied: 'UPDATE partitions SET applied = ?, hw = ? WHERE pid = ?',
  partitionInsert: 'INSERT INTO partitions (pid, next_off, log_start, bytes, first_idx, last_idx, last_term, last_ts) VALUES (?, 0, 0, 0, 1, 0, 0, 0)',
  partitionUpdate:
    'UPDATE partitions SET next_off = ?, log_start = ?, bytes = ?, first_idx = ?, last_idx = ?, last_term = ?, last_ts = ? WHERE pid = ?',
  partitionDelete: 'DELETE FROM partitions WHERE pid = ?',
  entryInsert: 'INSERT INTO entries (pid, idx, term, kind, first_off, count, data, crc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  entryRead: 'SELECT idx, term, kind, first_off, count, data, crc FROM entries WHERE pid = ? AND idx >= ? ORDER BY idx LIMIT ?',
  entryAt: 'SELECT idx, term, kind, first_off, count, data, crc FROM entries WHERE pid = ? AND idx = ?',
  entryDeleteFrom: 'DELETE FROM entries WHERE pid = ? AND idx >= ?',
  entryDeleteBefore: 'DELETE FROM entries WHERE pid = ? AND idx < ?',
  entryDeleteAll: 'DELETE FROM entries WHERE pid = ?',
  entryCompactionPoint: 'SELECT idx, first_off, first_off + count AS end_off FROM entries WHERE pid = ? AND kind = 1 AND count > 0 AND idx <= ? AND first_off < ? ORDER BY idx DESC LIMIT 1',
  queueGroups: 'SELECT grp FROM queue_floor WHERE pid = ? UNION SELECT DISTINCT grp FROM queue_state WHERE pid = ?',
  hardStateGet: 'SELECT term, vote, commit_idx FROM hard_state WHERE gid = ?',
  hardStatePut: 'INSERT OR REPLACE INTO hard_state (gid, term, vote, commit_idx) VALUES (?, ?, ?, ?)',
  hardStateDelete: 'DELETE FROM hard_state WHERE gid = ?',
  snapshotGet: 'SELECT idx, term, conf, data FROM raft_snapshot WHERE gid = ?',
  snapshotPut: 'INSERT OR REPLACE INTO raft_snapshot (gid, idx, term, conf, data) VALUES (?, ?, ?, ?, ?)',
  snapshotDelete: 'DELETE FROM raft_snapshot WHERE gid = ?',
  spillPut: 'INSERT OR REPLACE INTO dedup_spill (pid, id, off, ts, fp) VALUES (?, ?, ?, ?, ?)',
  spillGet: 'SELECT id, off, ts, fp FROM dedup_spill WHERE pid = ? AND id = ?',
  spillList: 'SELECT id, off, ts, fp FROM dedup_spill WHERE pid = ? AND ts >= ?',
  spillExpire: 'DELETE FROM dedup_spill WHERE ts < ?',
  spillDeletePartition: 'DELETE FROM dedup_spill WHERE pid = ?',
  queueFloorGet: 'SELECT floor FROM queue_floor WHERE pid = ? AND grp = ?',
  queueFloorPut: 'INSERT OR REPLACE INTO queue_floor (pid, grp, floor) VALUES (?, ?, ?)',
  queueRowPut: 'INSERT OR REPLACE INTO queue_state (pid, grp, off, st, deliveries, lease_id, until, err) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  queueRowsBelow: 'DELETE FROM queue_state WHERE pid = ? AND grp = ? AND off < ?',
  queueRowsList: 'SELECT off, st, deliveries, lease_id, until, err FROM queue_state WHERE pid = ? AND grp = ? ORDER BY off',
  queueDropRows: 'DELETE FROM queue_state WHERE pid = ? AND grp = ?',
  queueDropFloor: 'DELETE FROM queue_floor WHERE pid = ? AND grp = ?',
  queueDropPartitionRows: 'DELETE FROM queue_state WHERE pid = ?',
  queueDropPartitionFloors: 'DELETE FROM queue_floor WHERE pid = ?',
  metaGet: 'SELECT value FROM meta WHERE key = ?',
  metaPut: 'INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)',
  metaDelete: 'DELETE FROM meta WHERE key = ?',
  metaList: 'SELECT key, value FROM meta WHERE key >= ? AND key < ? ORDER BY key',
} as const;
