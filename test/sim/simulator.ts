import {AssertionError} from '../../src/util/assert.js';
import {SeededRandom} from '../../src/util/random.js';
import type {ConfState, NodeId} from '../../src/cluster/raft/index.js';
import {BUGS, type BugName} from './bugs.js';
import {Checker, SimFailure, type FailureKind} from './checker.js';
import {EventQueue} from './event-queue.js';
import {clientPayload, scrambleSeed} from './hash.js';
import {Nemesis, pick, type World} from './nemesis.js';
import {Network, RELIABLE} from './network.js';
import {DEFAULT_CHAOS_TICKS, drawFaults, drawParams, type SimParams} from './params.js';
import {SimNode, type SimContext} from './sim-node.js';
import {Trace} from './trace.js';

/**
 * Liveness: once faults heal, some proposal commits within this many election timeouts. Without pre-vote,
 * nodes whose logs are too stale to win keep starting elections that reset everyone's timer, so recovery is
 * only geometrically likely per round and needs a wider bound (see docs/raft.md for the measured tails).
 */
export const LIVENESS_BOUND_ELECTION_TIMEOUTS = {preVote: 15, noPreVote: 40} as const;
/**
 * ...and every member of the committed configuration applies everything acknowledged within this many more.
 * "Eventually", really: a member that lagged far behind catches up at the configured flow-control rate (in
 * churn seeds one entry per message), so this bound is generous; the commit bound above is the tight one.
 */
export const CONVERGENCE_BOUND_ELECTION_TIMEOUTS = 40;

export interface SimOptions {
  readonly seed: number;
  /** Length of the fault phase in ticks. */
  readonly steps?: number;
  readonly bug?: BugName;
  /** Lines of trace kept for a failure report. */
  readonly traceLines?: number;
  readonly verbose?: boolean;
}

export interface SimStats {
  events: number;
  simulatedMs: number;
  elections: number;
  maxTerm: number;
  acked: number;
  crashes: number;
  snapshotsInstalled: number;
  configChanges: number;
  messagesSent: number;
  messagesDropped: number;
  preVote: boolean;
  profile: SimParams['profile'];
  /** Heal → first committed proposal, in election timeouts. */
  recoveryElectionTimeouts: number;
  /** That commit → every member applied every acknowledged entry, in election timeouts. */
  convergenceElectionTimeouts: number;
}

export interface RunResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly failure?: {readonly kind: FailureKind; readonly message: string; readonly atMs: number};
  readonly trace: readonly string[];
  readonly stats: SimStats;
}

/** One seeded run: a fault phase with invariants checked online, then a heal phase that checks liveness. */
export function runSeed(opts: SimOptions): RunResult {
  return new Simulation(opts).run();
}

class Simulation implements World, SimContext {
  readonly queue = new EventQueue();
  readonly rng: SeededRandom;
  readonly network: Network;
  readonly checker = new Checker();
  readonly trace: Trace;
  readonly params: SimParams;
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly nemesis: Nemesis;
  private nextId: number;
  private committedConf: {index: number; conf: ConfState};
  private joiners: SimNode[] = [];
  private clientSeq = 0;
  private phase: 'chaos' | 'heal' = 'chaos';
  private probeSeqs = new Set<number>();
  private probe: {index: number; atMs: number} | undefined = undefined;
  private acked = 0;
  private maxAckedIndex = 0;
  private configChanges = 0;

  constructor(private readonly opts: SimOptions) {
    this.rng = new SeededRandom(scrambleSeed(opts.seed));
    this.trace = new Trace(this.queue, opts.traceLines ?? 40, opts.verbose ?? false);
    const bug = opts.bug === undefined ? undefined : BUGS[opts.bug];
    this.params = drawParams(this.rng, opts.steps ?? DEFAULT_CHAOS_TICKS, bug?.raft ?? {}, bug?.ackBeforeFsync ?? false);
    this.network = new Network(this.queue, this.rng, (m) => {
      const n = this.nodes.get(m.to);
      if (n !== undefined && !n.retired) n.input({kind: 'message', m});
    });
    this.nemesis = new Nemesis(this);
    const voters = Array.from({length: this.params.initialVoters}, (_, i) => i + 1);
    this.committedConf = {index: 1, conf: {voters, learners: []}};
    this.nextId = voters.length + 1;
    for (const id of voters) this.addNode(id, this.committedConf.conf);
  }

  run(): RunResult {
    let failure: RunResult['failure'];
    try {
      this.chaos();
      this.heal();
    } catch (e) {
      failure = {...describe(e), atMs: this.queue.now};
      if (this.trace.verbose) this.traceNodes();
    }
    const nodes = [...this.nodes.values()];
    return {
      seed: this.opts.seed,
      ok: failure === undefined,
      ...(failure !== undefined ? {failure} : {}),
      trace: this.trace.tail(),
      stats: {
        events: this.queue.processed,
        simulatedMs: this.queue.now,
        elections: this.checker.elections,
        maxTerm: Math.max(...nodes.map((n) => n.term)),
        acked: this.acked,
        crashes: nodes.reduce((s, n) => s + n.crashes, 0),
        snapshotsInstalled: nodes.reduce((s, n) => s + n.snapshotsInstalled, 0),
        configChanges: this.configChanges,
        messagesSent: this.network.stats.sent,
        messagesDropped: this.network.stats.dropped,
        preVote: this.params.preVote,
        profile: this.params.profile,
        recoveryElectionTimeouts: this.probe === undefined ? Number.NaN : (this.probe.atMs - this.healAt) / this.electionTimeoutMs(),
        convergenceElectionTimeouts: this.convergedAt === undefined || this.probe === undefined ? Number.NaN : (this.convergedAt - this.probe.atMs) / this.electionTimeoutMs(),
      },
    };
  }

  private healAt = 0;
  private convergedAt: number | undefined = undefined;

  private traceNodes(): void {
    for (const n of this.nodes.values()) {
      const st = n.status();
      const conf = st === undefined ? '' : ` voters [${st.conf.voters.join(',')}] learners [${st.conf.learners.join(',')}]`;
      const log = st === undefined ? '' : ` log ${st.firstIndex}..${st.lastIndex}/${st.lastTerm} commit ${st.commit}`;
      this.trace.add(`status n${n.id}: ${n.up ? st?.role : 'down'}${n.retired ? ' retired' : ''} term ${n.term}${log}${conf}`);
    }
  }

  private electionTimeoutMs(): number {
    return this.params.electionTimeoutTicks * this.params.tickMs;
  }

  private chaos(): void {
    this.network.faults = drawFaults(this.rng);
    const end = this.params.chaosTicks * this.params.tickMs;
    this.every(this.params.nemesisEveryMs, () => this.nemesis.act());
    this.every(this.params.clientEveryMs, () => this.clientPropose());
    this.queue.runUntil(end);
  }

  /** Repeats `fn` at random intervals for as long as the fault phase lasts. */
  private every(range: readonly [number, number], fn: () => void): void {
    this.queue.after(this.rng.int(range[0], range[1]), () => {
      if (this.phase !== 'chaos') return;
      fn();
      this.every(range, fn);
    });
  }

  private clientPropose(): void {
    // Mostly the newest leader; sometimes any node, to exercise refusals by followers and stale leaders.
    const target = this.rng.next() < 0.8 ? this.leader() : pick(this.rng, this.liveSet().filter((n) => n.up));
    if (target === undefined) return;
    const datas = Array.from({length: this.rng.int(1, 3)}, () => clientPayload(++this.clientSeq, this.rng.int(0, 40)));
    target.input({kind: 'propose', datas});
  }

  private heal(): void {
    this.phase = 'heal';
    this.network.heal();
    this.network.faults = RELIABLE;
    for (const n of this.liveSet()) if (!n.up) n.start();
    this.healAt = this.queue.now;
    this.trace.add('faults healed: every node up, network reliable');
    const bound = this.params.preVote ? LIVENESS_BOUND_ELECTION_TIMEOUTS.preVote : LIVENESS_BOUND_ELECTION_TIMEOUTS.noPreVote;
    this.probeLoop();
    this.queue.runUntil(this.healAt + bound * this.electionTimeoutMs(), () => this.probe !== undefined);
    if (this.probe === undefined) {
      throw new SimFailure('liveness', `no proposal committed within ${bound} election timeouts of healing (leader: ${this.leader()?.id ?? 'none'})`);
    }
    // Every member must apply everything acknowledged so far (the probe, and earlier probes still in flight).
    const target = () => Math.max(this.probe!.index, this.maxAckedIndex);
    const convergeDeadline = this.queue.now + CONVERGENCE_BOUND_ELECTION_TIMEOUTS * this.electionTimeoutMs();
    this.queue.runUntil(convergeDeadline, () => this.members().every((n) => n.up && n.appliedIndex >= target()));
    for (const n of this.members()) {
      if (n.appliedIndex < target()) {
        throw new SimFailure('liveness', `n${n.id} applied only up to ${n.appliedIndex}, not ${target()}, ${CONVERGENCE_BOUND_ELECTION_TIMEOUTS} election timeouts after the commit`);
      }
      if (this.checker.committedHash(n.appliedIndex) !== n.appliedHash) {
        throw new SimFailure('state-machine-safety', `n${n.id} state at ${n.appliedIndex} differs from the committed state`);
      }
      const missing = this.checker.acks.find((a) => a.index > n.appliedIndex);
      if (missing !== undefined) throw new SimFailure('lost-ack', `n${n.id} never applied acknowledged entry ${missing.index}`);
    }
    this.convergedAt = this.queue.now;
  }

  /** After healing, keep offering a probe entry to whoever leads until one is acknowledged. */
  private probeLoop(): void {
    if (this.probe !== undefined) return;
    const leader = this.leader();
    if (leader !== undefined) {
      const seq = ++this.clientSeq;
      this.probeSeqs.add(seq);
      leader.input({kind: 'propose', datas: [clientPayload(seq, 0)]});
    }
    this.queue.after(5 * this.params.tickMs, () => this.probeLoop());
  }

  // World

  inChaos(): boolean {
    return this.phase === 'chaos';
  }

  liveSet(): SimNode[] {
    return [...this.nodes.values()].filter((n) => !n.retired);
  }

  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      if (n.up && !n.retired && n.role === 'leader' && (best === undefined || n.term > best.term)) best = n;
    }
    return best;
  }

  joiner(): SimNode {
    const conf = this.leader()?.status()?.conf;
    const idle = this.joiners.find((n) => n.up && !conf?.voters.includes(n.id) && !conf?.learners.includes(n.id));
    if (idle !== undefined) return idle;
    const n = this.addNode(this.nextId++, undefined);
    this.joiners.push(n);
    this.trace.add(`n${n.id} starts, empty, to join`);
    return n;
  }

  // SimContext

  onAck(_node: NodeId, seq: number, index: number): void {
    this.acked++;
    this.maxAckedIndex = Math.max(this.maxAckedIndex, index);
    if (this.probeSeqs.has(seq) && this.probe === undefined) this.probe = {index, atMs: this.queue.now};
  }

  onNewLeader(node: SimNode): void {
    if (this.phase === 'chaos') this.nemesis.onNewLeader(node);
  }

  onApplyConfig(node: NodeId, index: number): void {
    if (index <= this.committedConf.index) return;
    const conf = this.nodes.get(node)?.confAt(index);
    if (conf === undefined) return;
    const before = this.committedConf.conf;
    this.committedConf = {index, conf};
    this.configChanges++;
    this.trace.add(`config at ${index} committed: voters [${conf.voters.join(',')}] learners [${conf.learners.join(',')}]`);
    const members = new Set([...conf.voters, ...conf.learners]);
    this.joiners = this.joiners.filter((n) => !members.has(n.id));
    for (const id of [...before.voters, ...before.learners]) {
      const n = this.nodes.get(id);
      if (members.has(id) || n === undefined) continue;
      // A removed server is shut down once its removal commits, as an operator would (not from inside its
      // own apply loop, hence the zero delay).
      n.retired = true;
      this.queue.after(0, () => {
        n.crash();
        this.trace.add(`n${id} retired`);
      });
    }
  }

  private members(): SimNode[] {
    const c = this.committedConf.conf;
    return [...c.voters, ...c.learners].map((id) => this.nodes.get(id)!);
  }

  private addNode(id: NodeId, bootstrap: ConfState | undefined): SimNode {
    const p = this.params;
    const n = new SimNode(
      id,
      this,
      {
        raft: {
          electionTimeoutTicks: p.electionTimeoutTicks,
          heartbeatIntervalTicks: p.heartbeatIntervalTicks,
          preVote: p.preVote,
          checkQuorum: p.checkQuorum,
          maxInflightMsgs: p.maxInflightMsgs,
          maxMsgBytes: p.maxMsgBytes,
          maxUncommittedBytes: p.maxUncommittedBytes,
          snapshotThresholdEntries: p.snapshotThresholdEntries,
          testBugs: p.testBugs,
        },
        // Timers jitter tick by tick but run at the same average rate: a node whose clock ran 20 % slow would
        // lose every election race for ever, which real clocks (off by parts per million) never cause.
        tickMs: p.tickMs,
        fsyncMaxMs: p.fsyncMaxMs,
        snapshotKeepEntries: p.snapshotKeepEntries,
        ackBeforeFsync: p.ackBeforeFsync,
      },
      bootstrap,
    );
    this.nodes.set(id, n);
    n.start();
    return n;
  }
}

function describe(e: unknown): {kind: FailureKind; message: string} {
  if (e instanceof SimFailure) return {kind: e.kind, message: e.message};
  if (e instanceof AssertionError) return {kind: 'assertion', message: `library assertion: ${e.message}`};
  const err = e instanceof Error ? e : new Error(String(e));
  return {kind: 'assertion', message: `${err.message}\n${err.stack?.split('\n').slice(1, 4).join('\n') ?? ''}`};
}
