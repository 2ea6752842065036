import {assert} from '../../util/assert.js';
import {applyConfChange, confChangeError, decodeConfChange} from './conf-change.js';
import type {RaftStorage} from './storage.js';
import type {ConfState, Entry, Snapshot} from './types.js';

interface ConfigPoint {
  readonly index: number;
  readonly conf: ConfState;
}

/**
 * The configuration in effect at every index of the log. A config entry takes effect as soon as it is appended
 * (thesis §4.1), committed or not, so when a new leader truncates our log the configuration must roll back with
 * it: we keep one point per config entry above the snapshot, plus the snapshot's configuration as the base.
 */
export class ConfigHistory {
  private points: ConfigPoint[];

  constructor(baseIndex: number, baseConf: ConfState) {
    this.points = [{index: baseIndex, conf: baseConf}];
  }

  /** Rebuilds after a restart: the snapshot's configuration, then every config entry stored after it. */
  static fromStorage(storage: RaftStorage): ConfigHistory {
    const snap = storage.snapshot().metadata;
    const h = new ConfigHistory(snap.index, snap.confState);
    const lo = Math.max(snap.index + 1, storage.firstIndex());
    const hi = storage.lastIndex() + 1;
    if (lo < hi) h.append(storage.entries(lo, hi, Number.POSITIVE_INFINITY));
    return h;
  }

  current(): ConfState {
    return this.points[this.points.length - 1]!.conf;
  }

  /** The index of the latest config entry (or of the base): a leader proposes no new change until it is committed. */
  lastIndex(): number {
    return this.points[this.points.length - 1]!.index;
  }

  at(index: number): ConfState {
    for (let i = this.points.length - 1; i > 0; i--) {
      if (this.points[i]!.index <= index) return this.points[i]!.conf;
    }
    assert(index >= this.points[0]!.index, `membership: no configuration known at ${index}`);
    return this.points[0]!.conf;
  }

  /** Entries at and after `index` are being replaced. */
  truncateFrom(index: number): void {
    assert(index > this.points[0]!.index, 'membership: cannot truncate below the base configuration');
    while (this.points.length > 1 && this.points[this.points.length - 1]!.index >= index) this.points.pop();
  }

  /** Applies the config entries among `ents` (which must follow the log's current end, after truncateFrom). */
  append(ents: readonly Entry[]): void {
    for (const e of ents) {
      if (e.type !== 'config') continue;
      const cc = decodeConfChange(e.data);
      // An invalid change is ignored identically on every node, since every node sees the same prefix.
      if (cc === undefined || confChangeError(this.current(), cc) !== undefined) continue;
      this.points.push({index: e.index, conf: applyConfChange(this.current(), cc)});
    }
  }

  restore(snap: Snapshot): void {
    this.points = [{index: snap.metadata.index, conf: snap.metadata.confState}];
  }

  /** Forgets points nobody asks about any more: truncation stays above the commit, lookups at or above `applied`. */
  compact(applied: number): void {
    let keepFrom = 0;
    for (let i = 1; i < this.points.length; i++) if (this.points[i]!.index <= applied) keepFrom = i;
    if (keepFrom > 0) this.points = this.points.slice(keepFrom);
  }
}
