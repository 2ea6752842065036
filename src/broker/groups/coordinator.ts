import {MqError} from '../../errors.js';
import type {StoredMessage} from '../../storage/index.js';
import type {Clock} from '../../util/clock.js';
import {uuid7} from '../../util/uuid7.js';
import {Waiters} from '../waiters.js';
import {roundRobin, settleOwners, tpId, type TopicPartition} from './assignment.js';
import type {GroupStore} from './group-store.js';
import {tpKey, type GroupDefinition, type OffsetTriple, type StartFrom} from './records.js';

/** What the coordinator needs to know about topics (from the broker). */
export interface TopicView {
  partitions(topic: string): number[] | undefined;
  /** Async: the partition may be held by another broker (read over HTTP). */
  bounds(topic: string, partition: number): Promise<Bounds>;
  /** What is known right now without waiting (a partition held elsewhere: as of its last read, or undefined). */
  boundsNow(topic: string, partition: number): Bounds | undefined;
  read(topic: string, partition: number, from: number, limits: {maxMessages: number; maxBytes: number}): Promise<StoredMessage[]>;
  /** Resolves when any of the partitions has a message at or after its `from` (or after waitMs). */
  waitAny(tps: ReadonlyArray<TopicPartition & {from: number}>, waitMs: number, signal: AbortSignal): Promise<void>;
  offsetForTimestamp(topic: string, partition: number, ts: number): Promise<number>;
}

export interface Bounds {
  logStart: number;
  highWatermark: number;
}

export interface Member {
  id: string;
  clientId: string | null;
  joinedAt: number;
  lastSeen: number;
  ackedGeneration: number;
  /** Next offset to deliver, per owned partition (in-session only; the durable position is the committed offset). */
  positions: Map<string, number>;
}

export interface GroupRuntime {
  generation: number;
  members: Map<string, Member>;
  owners: Map<string, string>;
  target: Map<string, string>;
  partitions: TopicPartition[];
  signature: string;
  waiters: Waiters;
}

export interface GroupMessage extends StoredMessage {
  topic: string;
  partition: number;
}

export interface CoordinatorOptions {
  defaultSessionTimeoutMs: number;
  heartbeatIntervalMs: number;
}

/**
 * The stream-group coordinator: members, generations, round-robin assignment with safe hand-over, session timeouts,
 * server-side positions, fetch and commit. Durable state (definitions, committed offsets) lives in the GroupStore;
 * membership is runtime state, rebuilt as members rejoin.
 */
export class GroupCoordinator {
  readonly runtimes = new Map<string, GroupRuntime>();

  constructor(
    readonly store: GroupStore,
    private readonly topics: TopicView,
    private readonly clock: Clock,
    readonly opts: CoordinatorOptions,
  ) {}

  definition(name: string): GroupDefinition {
    const g = this.store.groups.get(name);
    if (!g) throw new MqError('GROUP_NOT_FOUND', `group ${name} does not exist`, {group: name});
    return g.def;
  }

  committed(name: string, tp: TopicPartition): number | undefined {
    return this.store.groups.get(name)?.offsets.get(tpKey(tp.topic, tp.partition));
  }

  runtime(name: string): GroupRuntime {
    let rt = this.runtimes.get(name);
    if (!rt) {
      rt = {generation: 0, members: new Map(), owners: new Map(), target: new Map(), partitions: [], signature: '', waiters: new Waiters()};
      this.runtimes.set(name, rt);
    }
    return rt;
  }

  // ---- membership ---------------------------------------------------------------------------------------------

  /** Stream groups only: queue groups have competing consumers, not members with assignments. */
  streamDefinition(name: string): GroupDefinition {
    const def = this.definition(name);
    if (def.mode !== 'stream') throw new MqError('WRONG_GROUP_MODE', `group ${name} is a queue group: fetch leases and ack them, no join or commit`, {group: name});
    return def;
  }

  join(name: string, opts: {memberId?: string; clientId?: string}): Member {
    this.streamDefinition(name);
    const rt = this.runtime(name);
    const now = this.clock.monotonic();
    const existing = opts.memberId ? rt.members.get(opts.memberId) : undefined;
    if (existing) {
      this.touch(name, existing);
      return existing;
    }
    if (opts.memberId) throw new MqError('UNKNOWN_MEMBER', `member ${opts.memberId} is not in group ${name}: join without a member id`, {group: name});
    const id = `${opts.clientId ?? 'member'}-${uuid7().slice(-12)}`;
    const m: Member = {id, clientId: opts.clientId ?? null, joinedAt: now, lastSeen: now, ackedGeneration: 0, positions: new Map()};
    rt.members.set(id, m);
    this.rebalance(name);
    this.touch(name, m);
    return m;
  }

  member(name: string, memberId: string): Member {
    this.streamDefinition(name);
    const m = this.runtimes.get(name)?.members.get(memberId);
    if (!m) throw new MqError('UNKNOWN_MEMBER', `member ${memberId} is not in group ${name} (its session expired or it left): join again`, {group: name, member: memberId});
    return m;
  }

  /** Any call from a member: it is alive and has now heard of the current generation, so it releases what moved. */
  touch(name: string, m: Member): void {
    const rt = this.runtime(name);
    m.lastSeen = this.clock.monotonic();
    // a partition added or removed (growth, autoscaling) is assigned now: refreshing alone would record the new list
    // and the sweep, finding nothing changed, would never rebalance
    if (this.refreshPartitions(name)) this.rebalance(name);
    if (m.ackedGeneration === rt.generation) return;
    m.ackedGeneration = rt.generation;
    this.settle(name);
  }

  leave(name: string, memberId: string): void {
    const rt = this.runtimes.get(name);
    if (!rt?.members.delete(memberId)) return;
    this.rebalance(name);
  }

  /** Removes members whose session expired; called periodically. */
  expireSessions(): string[] {
    const now = this.clock.monotonic();
    const expired: string[] = [];
    for (const [name, rt] of this.runtimes) {
      const def = this.store.groups.get(name)?.def;
      if (!def || def.mode !== 'stream') {
        this.runtimes.delete(name);
        continue;
      }
      let changed = false;
      for (const [id, m] of rt.members) {
        if (now - m.lastSeen > def.sessionTimeoutMs) {
          rt.members.delete(id);
          expired.push(`${name}/${id}`);
          changed = true;
        }
      }
      if (changed) this.rebalance(name);
      else if (this.refreshPartitions(name)) this.rebalance(name);
    }
    return expired;
  }

  /** Recomputes the partition list; true if it changed (a topic grew or went away). */
  private refreshPartitions(name: string): boolean {
    const def = this.definition(name);
    const rt = this.runtime(name);
    const parts: TopicPartition[] = [];
    for (const topic of def.topics) for (const partition of this.topics.partitions(topic) ?? []) parts.push({topic, partition});
    const sig = parts.map(tpId).join(',');
    if (sig === rt.signature) return false;
    rt.partitions = parts;
    rt.signature = sig;
    return true;
  }

  private rebalance(name: string): void {
    const rt = this.runtime(name);
    this.refreshPartitions(name);
    rt.generation++;
    rt.target = roundRobin(rt.partitions, [...rt.members.keys()]);
    this.settle(name);
    rt.waiters.wake();
  }

  private settle(name: string): void {
    const rt = this.runtime(name);
    settleOwners(rt.owners, rt.target, (prev) => {
      const m = rt.members.get(prev);
      return m === undefined || m.ackedGeneration >= rt.generation;
    });
    for (const m of rt.members.values()) for (const tp of m.positions.keys()) if (rt.owners.get(tp) !== m.id) m.positions.delete(tp);
  }

  assignment(name: string, memberId: string): TopicPartition[] {
    const rt = this.runtime(name);
    return rt.partitions.filter((tp) => rt.owners.get(tpId(tp)) === memberId);
  }

  // ---- positions, fetch, commit -------------------------------------------------------------------------------

  private startOffset(name: string, tp: TopicPartition, from: StartFrom, b: Bounds): number {
    const c = this.committed(name, tp);
    const pos = c ?? (from === 'earliest' ? b.logStart : b.highWatermark);
    return Math.min(Math.max(pos, b.logStart), b.highWatermark);
  }

  async position(name: string, m: Member, tp: TopicPartition): Promise<number> {
    const key = tpId(tp);
    const b = await this.topics.bounds(tp.topic, tp.partition);
    let pos = m.positions.get(key);
    if (pos === undefined) pos = this.startOffset(name, tp, this.definition(name).from, b);
    if (pos < b.logStart) pos = b.logStart;
    // a position a member sent (adoptPositions) is never past the end of the log
    if (pos > b.highWatermark) pos = b.highWatermark;
    m.positions.set(key, pos);
    return pos;
  }

  /** Offsets delivered to this member that the group has not committed yet. */
  uncommitted(name: string, m: Member): OffsetTriple[] {
    const out: OffsetTriple[] = [];
    for (const tp of this.assignment(name, m.id)) {
      const pos = m.positions.get(tpId(tp));
      if (pos !== undefined && pos > (this.committed(name, tp) ?? -1)) out.push([tp.topic, tp.partition, pos]);
    }
    return out;
  }

  async fetch(
    name: string,
    memberId: string,
    opts: {maxMessages: number; maxBytes: number; waitMs: number; autoCommit: boolean; signal: AbortSignal; positions?: ReadonlyArray<TopicPartition & {offset: number}>},
  ): Promise<{generation: number; assignment: TopicPartition[]; messages: GroupMessage[]}> {
    const m = this.member(name, memberId);
    this.touch(name, m);
    if (opts.positions) this.adoptPositions(name, m, opts.positions);
    if (opts.autoCommit) {
      const pending = this.uncommitted(name, m);
      if (pending.length > 0) await this.store.append([{t: 'commit', group: name, generation: this.runtime(name).generation, member: m.id, offsets: pending}]);
    }
    const rt = this.runtime(name);
    const deadline = this.clock.monotonic() + opts.waitMs;
    for (;;) {
      const assignment = this.assignment(name, m.id);
      const messages = await this.readAssigned(name, m, assignment, opts);
      const left = deadline - this.clock.monotonic();
      if (messages.length > 0 || left <= 0 || opts.signal.aborted || !rt.members.has(m.id)) {
        return {generation: rt.generation, assignment, messages};
      }
      const ac = new AbortController();
      const onAbort = (): void => ac.abort();
      opts.signal.addEventListener('abort', onAbort, {once: true});
      const from = assignment.map((tp) => ({...tp, from: m.positions.get(tpId(tp)) ?? 0}));
      await Promise.race([this.topics.waitAny(from, left, ac.signal), rt.waiters.wait(left, ac.signal)]);
      ac.abort();
      opts.signal.removeEventListener('abort', onAbort);
      if (rt.members.has(m.id)) this.touch(name, m);
    }
  }

  /**
   * The member says where it is: the next offset it received of each partition. Its previous fetch's answer may have
   * been lost on the way, so these, not where that fetch stopped, are where this one continues (and what an
   * auto-commit commits). An assigned partition it does not name restarts from the committed offset; a position past
   * what this coordinator handed out is held to that.
   */
  private adoptPositions(name: string, m: Member, positions: ReadonlyArray<TopicPartition & {offset: number}>): void {
    const said = new Map(positions.map((p) => [tpId(p), p.offset]));
    for (const tp of this.assignment(name, m.id)) {
      const key = tpId(tp);
      const offset = said.get(key);
      const handedOut = m.positions.get(key);
      if (offset === undefined) m.positions.delete(key);
      else m.positions.set(key, handedOut === undefined ? offset : Math.min(offset, handedOut));
    }
  }

  private async readAssigned(name: string, m: Member, assignment: TopicPartition[], limits: {maxMessages: number; maxBytes: number}): Promise<GroupMessage[]> {
    const out: GroupMessage[] = [];
    let bytes = 0;
    const n = assignment.length;
    const start = n === 0 ? 0 : Math.floor(Math.random() * n);
    for (let k = 0; k < n && out.length < limits.maxMessages && bytes < limits.maxBytes; k++) {
      const tp = assignment[(start + k) % n]!;
      // an autoscaled partition removed since the last rebalance (it was finished): the next sweep reassigns
      if (!this.topics.partitions(tp.topic)?.includes(tp.partition)) continue;
      const pos = await this.position(name, m, tp);
      // the assignment may have moved while this member waited for a remote read
      if (this.runtime(name).owners.get(tpId(tp)) !== m.id) continue;
      const msgs = await this.topics.read(tp.topic, tp.partition, pos, {maxMessages: limits.maxMessages - out.length, maxBytes: Math.max(1, limits.maxBytes - bytes)});
      for (const msg of msgs) {
        out.push({...msg, topic: tp.topic, partition: tp.partition});
        bytes += msg.value.length;
      }
      if (msgs.length > 0) m.positions.set(tpId(tp), msgs[msgs.length - 1]!.offset + 1);
    }
    return out;
  }

  async commit(name: string, memberId: string, generation: number, offsets: Array<TopicPartition & {offset: number}>): Promise<OffsetTriple[]> {
    const m = this.member(name, memberId);
    const rt = this.runtime(name);
    if (generation !== rt.generation) {
      this.touch(name, m);
      throw new MqError('STALE_GENERATION', `generation ${generation} is stale; the group is at ${rt.generation}`, {
        generation: rt.generation,
        assignment: this.assignment(name, m.id),
      });
    }
    this.touch(name, m);
    const owned = new Set(this.assignment(name, m.id).map(tpId));
    for (const o of offsets) {
      if (!owned.has(tpId(o))) {
        throw new MqError('STALE_GENERATION', `${tpId(o)} is not assigned to member ${m.id} in generation ${rt.generation}`, {
          generation: rt.generation,
          assignment: this.assignment(name, m.id),
        });
      }
      const b = await this.topics.bounds(o.topic, o.partition);
      if (o.offset > b.highWatermark) throw new MqError('OFFSET_OUT_OF_RANGE', `cannot commit ${o.offset} past the high watermark ${b.highWatermark} of ${tpId(o)}`);
    }
    if (offsets.length > 0) {
      await this.store.append([{t: 'commit', group: name, generation, member: m.id, offsets: offsets.map((o) => [o.topic, o.partition, o.offset])}]);
    }
    return offsets.map((o) => [o.topic, o.partition, this.committed(name, o) ?? o.offset]);
  }
}
