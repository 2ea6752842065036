import {MqError} from '../errors.js';
import type {Logger} from '../observe/logger.js';
import {isDiskFull} from '../storage/disk-full.js';
import type {LogStore} from '../storage/index.js';
import type {Clock} from '../util/clock.js';
import type {Random} from '../util/random.js';
import type {NodeId, Ready} from './raft/index.js';
import {RaftGroup, type ApplyScope, type GroupStateMachine} from './raft-group.js';
import {StoreRaftStorage} from './store-raft-storage.js';
import type {GroupMessage, Transport} from './transport/types.js';

export interface RaftTimings {
  tickMs: number;
  /** Election timeout: random in [electionTicks, 2 * electionTicks - 1] ticks. */
  electionTicks: number;
  heartbeatTicks: number;
}

const ROUNDS_PER_TURN = 8;
const RETRY_MS = 250;

/**
 * The Raft driver for every group on this broker. It ticks all groups, delivers messages, and carries out their
 * Readies together: one SQLite transaction (one fsync) persists what every group needs and applies what they
 * committed, then their messages go out, batched per peer, then the effects (answers, wake-ups) run. This is group
 * commit across partitions, and what makes "acknowledged" mean "on disk" (and, with replicas, "on a majority").
 */
const RECOVERING_KEY = 'recovering/';

export class RaftHost {
  readonly groups = new Map<number, RaftGroup>();
  private scheduled = false;
  private ticker: NodeJS.Timeout | undefined;
  private stopped = false;
  /** A Ready whose transaction failed is kept and retried: the core must not be advanced past unwritten state. */
  private readonly stuck = new Map<RaftGroup, Ready>();
  /** Group-commit statistics: rounds (one transaction each), entries persisted, the most entries in one round. */
  readonly stats = {rounds: 0, entries: 0, maxEntriesPerRound: 0};
  persistFailures = 0;
  /** A replica found it lacks entries its leader counts on (a damaged or lost log): the broker re-announces itself. */
  onDataLoss: ((gid: number) => void) | undefined;
  /** Set while rounds fail for lack of disk space (see diskFullRound); cleared by the next round that commits. */
  diskFull: {since: number; failures: number} | undefined;
  /** Proposals refused because the disk was full. */
  diskFullRefusals = 0;

  constructor(
    private readonly store: LogStore,
    readonly nodeId: NodeId,
    private transport: Transport,
    private readonly clock: Clock,
    private readonly random: Random,
    readonly timings: RaftTimings,
    private readonly logger: Logger,
  ) {
    this.attach(transport);
  }

  private attach(transport: Transport): void {
    transport.onMessages((from, msgs) => this.deliver(from, msgs));
    transport.onUnreachable((peer) => {
      for (const g of this.groups.values()) g.node.reportUnreachable(peer);
    });
  }

  /** Switches to another transport (the peer listener opens once the broker knows its own URLs). */
  async setTransport(transport: Transport): Promise<void> {
    const old = this.transport;
    this.transport = transport;
    this.attach(transport);
    await old.close();
  }

  get peerTransport(): Transport {
    return this.transport;
  }

  start(): void {
    this.ticker = setInterval(() => this.tick(), this.timings.tickMs);
    this.ticker.unref();
    this.schedule();
  }

  addGroup(gid: number, sm: GroupStateMachine): RaftGroup {
    const storage = new StoreRaftStorage(this.store, gid);
    const applied = this.store.partitionState(gid)?.applied ?? 0;
    const g = new RaftGroup(
      gid,
      storage,
      sm,
      {
        id: this.nodeId,
        random: this.random,
        electionTimeoutTicks: this.timings.electionTicks,
        heartbeatIntervalTicks: this.timings.heartbeatTicks,
        applied: Math.max(applied, storage.snapshot().metadata.index),
        // with the transport's 64 MiB queue per peer, 32 x 1 MiB appends in flight keep a catching-up replica busy
        // without overflowing it
        maxInflightMsgs: 32,
      },
      () => this.schedule(),
    );
    g.proposalGate = () => this.refuseWhileDiskFull();
    g.recovering = this.store.getMeta(RECOVERING_KEY + gid) !== undefined;
    this.groups.set(gid, g);
    this.schedule();
    return g;
  }

  removeGroup(gid: number): void {
    const g = this.groups.get(gid);
    if (!g) return;
    this.groups.delete(gid);
    this.stuck.delete(g);
    this.store.deleteMeta(RECOVERING_KEY + gid);
    // with no round left to retry, nothing would ever find out that space came back: the next write will try
    if (this.stuck.size === 0 && this.diskFull) this.diskFreed();
    g.failPending('the group was removed');
  }

  private tick(): void {
    for (const g of this.groups.values()) g.node.tick();
    this.schedule();
  }

  private deliver(from: NodeId, msgs: GroupMessage[]): void {
    for (const [gid, m] of msgs) {
      const g = this.groups.get(gid);
      if (!g || m.to !== this.nodeId || m.from !== from) continue;
      if (m.type === 'heartbeat' && m.commit > g.storage.lastIndex()) {
        // the leader counts entries this replica no longer has (a wiped or damaged data directory): re-sync, and
        // do not vote meanwhile; the clamped heartbeat makes the leader probe back and send what is missing
        if (!g.recovering) {
          this.logger.error({group: gid, commit: m.commit, lastIndex: g.storage.lastIndex()}, 'this replica lacks entries the leader counts on: re-syncing');
          this.markRecovering(g);
          this.onDataLoss?.(gid);
        }
        g.leaderCommitSeen = Math.max(g.leaderCommitSeen, m.commit);
        g.node.step({...m, commit: g.storage.lastIndex()});
        continue;
      }
      if (g.recovering) {
        // a replica re-syncing its data does not vote (see RaftGroup.recovering)
        if (m.type === 'vote' || m.type === 'preVote') continue;
        if (m.type === 'append' && m.commit > g.leaderCommitSeen) g.leaderCommitSeen = m.commit;
      }
      g.node.step(m);
    }
    this.schedule();
  }

  /** Marks a replica as re-syncing (it does not vote); remembered across restarts until it has caught up. */
  markRecovering(g: RaftGroup): void {
    g.recovering = true;
    this.store.putMeta(RECOVERING_KEY + g.gid, '1');
  }

  /** A recovering replica is whole again once it holds what the leader had committed. */
  private checkRecovered(g: RaftGroup): void {
    if (!g.recovering || g.leaderCommitSeen === 0) return;
    if (g.storage.lastIndex() >= g.leaderCommitSeen) {
      g.recovering = false;
      this.store.deleteMeta(RECOVERING_KEY + g.gid);
      this.logger.info({group: g.gid, index: g.storage.lastIndex()}, 'replica re-synced: it votes again');
    }
  }

  schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.process();
    });
  }

  private process(): void {
    for (let round = 0; round < ROUNDS_PER_TURN && !this.stopped; round++) {
      const readies: Array<[RaftGroup, Ready]> = [...this.stuck];
      for (const g of this.groups.values()) if (!this.stuck.has(g) && g.node.hasReady()) readies.push([g, g.node.ready()]);
      if (readies.length === 0) return;
      this.stats.rounds++;
      let entries = 0;
      for (const [, rd] of readies) entries += rd.entries.length;
      this.stats.entries += entries;
      if (entries > this.stats.maxEntriesPerRound) this.stats.maxEntriesPerRound = entries;
      const effects: Array<() => void> = [];
      const scope: ApplyScope = {now: this.clock.now(), after: (fn) => effects.push(fn)};
      try {
        this.store.transaction(() => {
          for (const [g, rd] of readies) this.persistAndApply(g, rd, scope);
        });
      } catch (err) {
        this.persistFailures++;
        for (const [g, rd] of readies) {
          this.stuck.set(g, rd);
          g.roundFailed();
        }
        if (isDiskFull(err)) this.diskFullRound(readies, err);
        else this.logger.error({err, groups: readies.length}, 'could not write Raft state; retrying');
        setTimeout(() => this.schedule(), RETRY_MS).unref();
        return;
      }
      this.stuck.clear();
      for (const [g] of readies) g.roundCommitted();
      if (this.diskFull) this.diskFreed();
      const byPeer = new Map<NodeId, GroupMessage[]>();
      for (const [g, rd] of readies) {
        for (const m of rd.messages) {
          const list = byPeer.get(m.to);
          if (list) list.push([g.gid, m]);
          else byPeer.set(m.to, [[g.gid, m]]);
        }
      }
      if (byPeer.size > 0) this.transport.send(byPeer);
      for (const fn of effects) fn();
      for (const [g, rd] of readies) {
        const prev = g.soft;
        g.soft = rd.softState;
        if (!prev || prev.role !== rd.softState.role || prev.leader !== rd.softState.leader) {
          if (prev?.role === 'leader' && rd.softState.role !== 'leader') g.failPending('stepped down');
          g.sm.roleChanged(rd.softState, prev);
        }
        g.node.advance();
        this.checkRecovered(g);
      }
    }
    this.schedule();
  }

  /**
   * A round could not be written for lack of space. Its Ready is kept and retried (the Raft core holds its entries
   * and must not move past them), so its proposals (and earlier ones of the same groups waiting to be applied here)
   * may still be written and commit once space comes back: they are answered now, DISK_FULL with written: "unknown",
   * instead of waiting for that. Until a round
   * commits, new proposals are refused before they reach Raft (DISK_FULL, written: false); reads of committed data go
   * on. A full disk blocks every group here (each round is one transaction): this broker falls silent in Raft, so
   * followers elsewhere elect new leaders for what it led, and it catches up once it can write again.
   */
  private diskFullRound(readies: ReadonlyArray<[RaftGroup, Ready]>, err: unknown): void {
    const unknown = new MqError('DISK_FULL', 'the disk is full: this write is kept and retried, and is written if space is freed in time', undefined, 'unknown');
    for (const [g] of readies) g.failWaiters(unknown);
    if (this.diskFull) {
      this.diskFull.failures++;
      return;
    }
    this.diskFull = {since: this.clock.now(), failures: 1};
    this.logger.error({err, groups: readies.length, retryMs: RETRY_MS}, 'the disk is full: writes are refused until space is freed');
  }

  private diskFreed(): void {
    this.logger.warn({sinceMs: this.clock.now() - this.diskFull!.since, failedRounds: this.diskFull!.failures}, 'disk space is available again: writes resume');
    this.diskFull = undefined;
  }

  private refuseWhileDiskFull(): MqError | undefined {
    if (!this.diskFull) return undefined;
    this.diskFullRefusals++;
    return new MqError('DISK_FULL', 'the disk holding the data directory is full; nothing was written (writes resume once space is freed)', undefined, false);
  }

  private persistAndApply(g: RaftGroup, rd: Ready, scope: ApplyScope): void {
    if (rd.snapshot) {
      g.storage.installSnapshot(rd.snapshot, g.sm.resetFor(rd.snapshot));
      g.sm.restore(rd.snapshot, scope);
    }
    if (rd.entries.length > 0) {
      const {truncatedFrom, batches} = g.storage.append(rd.entries, g.decoded);
      g.sm.persisted(rd.entries, batches, truncatedFrom, scope);
      g.settlePersisted(rd.entries, scope);
    }
    if (rd.hardState) g.storage.setHardState(rd.hardState);
    if (rd.committedEntries.length > 0) {
      g.sm.apply(rd.committedEntries, scope);
      g.settleApplied(rd.committedEntries, scope);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    for (const g of this.groups.values()) g.failPending('the broker is stopping');
    await this.transport.close();
  }
}
