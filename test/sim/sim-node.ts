import {
  RawNode,
  type ConfChange,
  type ConfState,
  type Entry,
  type Message,
  type NodeId,
  type RaftConfigInput,
  type Ready,
  type StateRole,
} from '../../src/cluster/raft/index.js';
import {SeededRandom, type Random} from '../../src/util/random.js';
import {SimFailure, type Checker} from './checker.js';
import type {EventQueue} from './event-queue.js';
import {chainHash, decodeMachineState, encodeMachineState, payloadSeq} from './hash.js';
import {LogChain} from './log-chain.js';
import type {Network} from './network.js';
import {SimDisk} from './sim-disk.js';
import type {Trace} from './trace.js';

export interface NodeParams {
  readonly raft: Omit<RaftConfigInput, 'id' | 'random' | 'applied'>;
  /** Nominal tick interval; each tick lands up to 1 ms early or late (timer jitter, not a skewed clock). */
  readonly tickMs: number;
  readonly fsyncMaxMs: number;
  /** Entries kept below a snapshot when compacting, so that slightly lagging followers need no snapshot. */
  readonly snapshotKeepEntries: number;
  /** Driver bug (positive control): send the Ready's messages before its writes are fsynced. */
  readonly ackBeforeFsync: boolean;
}

export interface SimContext {
  readonly queue: EventQueue;
  readonly network: Network;
  readonly checker: Checker;
  readonly rng: Random;
  readonly trace: Trace;
  /** A client's proposal was applied by the leader it was proposed to: the client is told "committed". */
  onAck(node: NodeId, seq: number, index: number): void;
  onApplyConfig(node: NodeId, index: number): void;
  onNewLeader(node: SimNode): void;
}

type Input =
  | {readonly kind: 'tick'}
  | {readonly kind: 'message'; readonly m: Message}
  | {readonly kind: 'propose'; readonly datas: readonly Uint8Array[]}
  | {readonly kind: 'confChange'; readonly cc: ConfChange}
  | {readonly kind: 'transfer'; readonly to: NodeId};

/**
 * One simulated server: a RawNode plus the driver a real runtime would be, following the persistence contract
 * in ready.ts. An fsync takes simulated time; while it runs the node is busy and input queues up, and a crash in
 * that window loses the unsynced writes (and nothing was sent that depended on them).
 */
export class SimNode {
  up = false;
  retired = false;
  role: StateRole = 'follower';
  term = 0;
  readonly disk: SimDisk;
  private raw: RawNode | undefined;
  private gen = 0;
  private busy = false;
  private inbox: Input[] = [];
  private machine = {index: 0, hash: 0};
  private chain = new LogChain();
  private commit = 0;
  /** Client proposals this node accepted as leader: index → (term, client seq). Volatile, like a real client's wait. */
  private proposals = new Map<number, {term: number; seq: number}>();
  crashes = 0;
  snapshotsInstalled = 0;

  constructor(
    readonly id: NodeId,
    private readonly ctx: SimContext,
    private readonly params: NodeParams,
    bootstrap: ConfState | undefined,
  ) {
    this.disk = new SimDisk(bootstrap);
  }

  get appliedIndex(): number {
    return this.machine.index;
  }

  get appliedHash(): number {
    return this.machine.hash;
  }

  start(): void {
    const storage = this.disk.live;
    const snap = storage.snapshot();
    this.machine = decodeMachineState(snap.data, snap.metadata.index);
    const known = this.ctx.checker.committedHash(this.machine.index);
    if (known !== undefined && known !== this.machine.hash) {
      throw new SimFailure('state-machine-safety', `n${this.id} restarts from a snapshot at ${this.machine.index} that differs from the committed state`);
    }
    const random = new SeededRandom(this.ctx.rng.int(0, 0xffffffff));
    this.raw = new RawNode({...this.params.raft, id: this.id, random, applied: snap.metadata.index}, storage);
    this.chain = LogChain.fromStorage(storage);
    const hs = storage.hardState();
    this.term = hs.term;
    this.commit = Math.max(hs.commit, snap.metadata.index);
    this.role = 'follower';
    this.up = true;
    this.busy = false;
    this.scheduleTick();
  }

  crash(): void {
    if (!this.up) return;
    this.up = false;
    this.gen++;
    this.busy = false;
    this.inbox = [];
    this.raw = undefined;
    this.proposals.clear();
    this.crashes++;
    const lost = this.disk.crash(this.ctx.rng);
    this.ctx.trace.add(`n${this.id} crashes (${lost} unsynced writes lost)`);
  }

  input(x: Input): void {
    if (!this.up) return;
    this.inbox.push(x);
    this.pump();
  }

  private scheduleTick(): void {
    const gen = this.gen;
    this.ctx.queue.after(this.params.tickMs + this.ctx.rng.int(-1, 1), () => {
      if (gen !== this.gen || !this.up) return;
      this.input({kind: 'tick'});
      this.scheduleTick();
    });
  }

  private pump(): void {
    while (this.up && !this.busy) {
      const raw = this.raw!;
      if (raw.hasReady()) {
        this.startReady(raw.ready());
        continue;
      }
      const x = this.inbox.shift();
      if (x === undefined) return;
      this.apply(raw, x);
    }
  }

  private apply(raw: RawNode, x: Input): void {
    switch (x.kind) {
      case 'tick':
        raw.tick();
        return;
      case 'message':
        raw.step(x.m);
        return;
      case 'propose': {
        const r = raw.proposeBatch(x.datas);
        if (!r.ok) return;
        const first = r.index - x.datas.length + 1;
        x.datas.forEach((d, i) => this.proposals.set(first + i, {term: r.term, seq: payloadSeq(d)}));
        return;
      }
      case 'confChange': {
        const r = raw.proposeConfChange(x.cc);
        this.ctx.trace.add(`n${this.id} proposes ${x.cc.type} n${x.cc.nodeId}: ${r.ok ? `index ${r.index}` : r.reason}`);
        return;
      }
      case 'transfer':
        if (raw.transferLeadership(x.to)) this.ctx.trace.add(`n${this.id} transfers leadership to n${x.to}`);
        return;
    }
  }

  private startReady(rd: Ready): void {
    const {checker} = this.ctx;
    if (rd.snapshot !== undefined) {
      this.disk.applySnapshot(rd.snapshot);
      const meta = rd.snapshot.metadata;
      this.chain.reset(meta.index, decodeMachineState(rd.snapshot.data, meta.index).hash);
      this.snapshotsInstalled++;
      this.ctx.trace.add(`n${this.id} installs snapshot at ${meta.index}/${meta.term}`);
    }
    if (this.ctx.trace.verbose) this.traceReady(rd);
    if (rd.entries.length > 0) {
      this.disk.append(rd.entries);
      this.chain.append(rd.entries);
      for (const e of rd.entries) if (e.index > this.chain.baseIndex) checker.onEntry(this.id, e.index, e.term, this.chain.hashAt(e.index)!);
    }
    if (rd.hardState !== undefined) {
      this.disk.setHardState(rd.hardState);
      this.term = rd.hardState.term;
      if (rd.hardState.commit < this.commit) {
        throw new SimFailure('commit-monotonicity', `n${this.id} commit went back from ${this.commit} to ${rd.hardState.commit}`);
      }
      checker.onCommit(this.id, this.term, this.commit, rd.hardState.commit, this.chain);
      this.commit = rd.hardState.commit;
    }
    if (rd.softState.role === 'leader' && this.role !== 'leader') {
      this.ctx.trace.add(`n${this.id} becomes leader of term ${this.term}`);
      this.ctx.onNewLeader(this);
    }
    this.role = rd.softState.role;
    if (this.role === 'leader') checker.onLeader(this.id, this.term, this.chain);
    if (this.params.ackBeforeFsync) this.send(rd.messages);
    if (!rd.mustSync) {
      this.finishReady(rd);
      return;
    }
    this.busy = true;
    const gen = this.gen;
    this.ctx.queue.after(this.ctx.rng.int(0, this.params.fsyncMaxMs), () => {
      if (gen !== this.gen) return;
      this.disk.fsync();
      this.finishReady(rd);
      this.busy = false;
      this.pump();
    });
  }

  private finishReady(rd: Ready): void {
    if (!this.params.ackBeforeFsync) this.send(rd.messages);
    if (rd.snapshot !== undefined) {
      this.machine = decodeMachineState(rd.snapshot.data, rd.snapshot.metadata.index);
      this.ctx.checker.onApply(this.id, this.term, this.machine.index, this.machine.hash);
      for (const index of this.proposals.keys()) if (index <= this.machine.index) this.proposals.delete(index);
    }
    for (const e of rd.committedEntries) this.applyEntry(e);
    const req = rd.snapshotRequest;
    if (req !== undefined) {
      if (req.index !== this.machine.index) throw new Error(`sim: snapshot requested at ${req.index}, applied ${this.machine.index}`);
      this.disk.createSnapshot(req.index, req.confState, encodeMachineState(this.machine.index, this.machine.hash));
      this.disk.compact(req.index - this.ctx.rng.int(0, this.params.snapshotKeepEntries));
    }
    this.raw!.advance();
  }

  private applyEntry(e: Entry): void {
    if (e.index !== this.machine.index + 1) {
      throw new SimFailure('state-machine-safety', `n${this.id} applies index ${e.index} after ${this.machine.index}`);
    }
    this.machine = {index: e.index, hash: chainHash(this.machine.hash, e)};
    this.ctx.checker.onApply(this.id, this.term, e.index, this.machine.hash);
    if (e.type === 'config') this.ctx.onApplyConfig(this.id, e.index);
    const p = this.proposals.get(e.index);
    if (p === undefined) return;
    this.proposals.delete(e.index);
    if (p.term !== e.term) return;
    this.ctx.checker.onAck({index: e.index, term: e.term, hash: this.machine.hash, seq: p.seq});
    this.ctx.onAck(this.id, p.seq, e.index);
  }

  private traceReady(rd: Ready): void {
    const t = this.ctx.trace;
    const ents = rd.entries.map((e) => `${e.index}/${e.term}${e.type === 'normal' ? '' : e.type[0]}`).join(' ');
    const hs = rd.hardState;
    t.add(`n${this.id} ready: ${rd.softState.role}${hs ? ` hs(t${hs.term} v${hs.vote} c${hs.commit})` : ''}${ents ? ` persist [${ents}]` : ''}${rd.committedEntries.length ? ` apply ${rd.committedEntries[0]!.index}..${rd.committedEntries[rd.committedEntries.length - 1]!.index}` : ''}`);
    for (const m of rd.messages) t.add(`  ${describeMessage(m)}`);
  }

  private send(messages: readonly Message[]): void {
    for (const m of messages) this.ctx.network.send(m);
  }

  status() {
    return this.raw?.status();
  }

  confAt(index: number): ConfState | undefined {
    return this.raw?.confStateAt(index);
  }
}

function describeMessage(m: Message): string {
  const head = `${m.from}->${m.to} ${m.type} t${m.term}`;
  switch (m.type) {
    case 'vote':
    case 'preVote':
      return `${head} last ${m.lastLogIndex}/${m.lastLogTerm}${m.transfer ? ' transfer' : ''}`;
    case 'voteResp':
    case 'preVoteResp':
      return `${head}${m.reject ? ' reject' : ''}`;
    case 'append':
      return `${head} prev ${m.prevLogIndex}/${m.prevLogTerm} [${m.entries.map((e) => `${e.index}/${e.term}`).join(' ')}] commit ${m.commit}`;
    case 'appendResp':
      return `${head} ${m.reject ? `reject ${m.index} hint ${m.hintIndex}/${m.hintTerm}` : `ok ${m.index}`}`;
    case 'heartbeat':
      return `${head} commit ${m.commit}`;
    case 'snapshot':
      return `${head} ${m.snapshot.metadata.index}/${m.snapshot.metadata.term}`;
    default:
      return head;
  }
}
