import type BetterSqlite3 from 'better-sqlite3';

/**
 * Format 1 → 2: partitions became Raft groups. A format-1 partition (single node, term 1, entries from index 1) gets
 * a snapshot at index 0 holding the one-voter configuration, and a hard state that says node 1 is its leader's
 * voter, so its existing log stays valid under the Raft core.
 */
function v1to2(db: BetterSqlite3.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS raft_snapshot (gid INTEGER PRIMARY KEY, idx INTEGER NOT NULL, term INTEGER NOT NULL, conf TEXT NOT NULL, data BLOB NOT NULL)');
  const pcols = db.prepare('PRAGMA table_info(partitions)').all() as Array<{name: string}>;
  if (!pcols.some((c) => c.name === 'applied')) {
    db.exec('ALTER TABLE partitions ADD COLUMN applied INTEGER NOT NULL DEFAULT 0');
    db.exec('ALTER TABLE partitions ADD COLUMN hw INTEGER NOT NULL DEFAULT 0');
    db.exec('UPDATE partitions SET applied = last_idx, hw = next_off');
  }
  const parts = db.prepare('SELECT pid, last_idx, last_term FROM partitions').all() as Array<{pid: number; last_idx: number; last_term: number}>;
  const snap = db.prepare('INSERT OR IGNORE INTO raft_snapshot (gid, idx, term, conf, data) VALUES (?, 0, 0, ?, ?)');
  const hs = db.prepare('INSERT OR IGNORE INTO hard_state (gid, term, vote, commit_idx) VALUES (?, ?, 1, ?)');
  for (const p of parts) {
    snap.run(p.pid, JSON.stringify({voters: [1], learners: []}), Buffer.alloc(0));
    hs.run(p.pid, Math.max(1, p.last_term), p.last_idx);
    // early format-1 builds had no not-before column
    const cols = db.prepare(`PRAGMA table_info(m${p.pid})`).all() as Array<{name: string}>;
    if (cols.length > 0 && !cols.some((c) => c.name === 'nb')) db.exec(`ALTER TABLE m${p.pid} ADD COLUMN nb INTEGER NOT NULL DEFAULT 0`);
  }
}

const STEPS: Record<number, (db: BetterSqlite3.Database) => void> = {1: v1to2};

/** Runs every migration from `from` up to `to`, in one transaction. */
export function migrate(db: BetterSqlite3.Database, from: number, to: number): void {
  db.transaction(() => {
    for (let v = from; v < to; v++) {
      const step = STEPS[v];
      if (!step) throw new Error(`no migration from data format ${v}`);
      step(db);
    }
    db.pragma(`user_version = ${to}`);
  })();
}
