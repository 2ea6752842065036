import type {Random} from '../../src/util/random.js';
import type {EventQueue} from './event-queue.js';
import type {Network} from './network.js';
import {drawFaults, type SimParams} from './params.js';
import type {SimNode} from './sim-node.js';
import type {Trace} from './trace.js';

/** What the nemesis may touch: the simulation, seen from the outside, like an operator with a chaos monkey. */
export interface World {
  readonly queue: EventQueue;
  readonly network: Network;
  readonly rng: Random;
  readonly trace: Trace;
  readonly params: SimParams;
  /** Nodes that exist and have not been retired after their removal committed. */
  liveSet(): SimNode[];
  /** A node that currently believes it leads (the newest term if several do). */
  leader(): SimNode | undefined;
  /** Faults scheduled for later must not fire once the run has healed. */
  inChaos(): boolean;
  /** A node to add as a learner: a fresh one, or one whose earlier addition never committed. */
  joiner(): SimNode;
}

/**
 * The fault schedule of the chaos phase: every few milliseconds it crashes, restarts, partitions, degrades the
 * network, changes membership or moves leadership. Aggressive on purpose: the positive controls show that the
 * invariants fail within a few hundred seeds when the algorithm is broken.
 */
export class Nemesis {
  private readonly actions: readonly (() => void)[] = [
    () => this.crash(),
    () => this.restartOne(),
    () => this.partition(),
    () => this.heal(),
    () => this.degradeNetwork(),
    () => this.changeMembership(),
    () => this.transferLeadership(),
    // Leaving the system alone for a while: progress needs quiet moments too.
    () => {},
  ];
  /** Cumulative weights of `actions` for this seed. */
  private readonly cumulative: number[];

  constructor(private readonly w: World) {
    // Swarm testing: each seed runs its own mix of faults, some switched off entirely, because a bug that one
    // kind of fault triggers is often masked by another (a crash "fixes" a stuck partition, and so on).
    let total = 0;
    const off = w.params.profile === 'mixed' ? 0.25 : 0;
    this.cumulative = this.actions.map(() => (total += w.rng.next() < off ? 0 : 0.2 + w.rng.next()));
    if (total === 0) this.cumulative[this.cumulative.length - 1] = 1;
  }

  act(): void {
    const r = this.w.rng.next() * this.cumulative[this.cumulative.length - 1]!;
    this.actions[this.cumulative.findIndex((c) => r < c)]!();
  }

  /** Called when a node wins an election during the fault phase. */
  onNewLeader(n: SimNode): void {
    const {rng, queue, params, network, trace} = this.w;
    if (rng.next() >= params.leaderKillRate) return;
    const delay = rng.int(0, 3 * params.tickMs);
    if (rng.next() < 0.5) {
      queue.after(delay, () => {
        if (!this.w.inChaos()) return;
        n.crash();
        queue.after(rng.int(0, 20) * params.tickMs, () => this.restart(n));
      });
    } else {
      queue.after(delay, () => {
        if (!this.w.inChaos()) return;
        network.partition([n.id], this.w.liveSet().map((x) => x.id).filter((id) => id !== n.id));
        trace.add(`isolate new leader n${n.id}`);
      });
    }
  }

  private crash(): void {
    const {rng, queue, params} = this.w;
    const up = this.w.liveSet().filter((n) => n.up);
    // Crash leaders more often than their share: that is where lost writes and double votes hide.
    const leader = this.w.leader();
    const victim = leader !== undefined && rng.next() < 0.4 ? leader : pick(rng, up);
    if (victim === undefined) return;
    victim.crash();
    const p = rng.next();
    if (p < 0.45) {
      // Quick restarts bring a node back within the same term, where a forgotten vote can be cast twice.
      const delay = rng.int(0, 3 * params.tickMs);
      queue.after(delay, () => this.restart(victim));
    } else if (p < 0.85) {
      queue.after(rng.int(5, 50) * params.tickMs, () => this.restart(victim));
    }
  }

  private restartOne(): void {
    const down = this.w.liveSet().filter((n) => !n.up);
    const n = pick(this.w.rng, down);
    if (n !== undefined) this.restart(n);
  }

  restart(n: SimNode): void {
    if (n.up || n.retired) return;
    this.w.trace.add(`n${n.id} restarts`);
    n.start();
  }

  private partition(): void {
    const {rng, network, trace} = this.w;
    const ids = this.w.liveSet().map((n) => n.id);
    const kind = rng.next();
    if (kind < 0.35) {
      const a = ids.filter(() => rng.next() < 0.5);
      const b = ids.filter((id) => !a.includes(id));
      if (a.length === 0 || b.length === 0) return;
      network.partition(a, b);
      trace.add(`partition [${a.join(',')}] | [${b.join(',')}]`);
    } else if (kind < 0.65) {
      const target = rng.next() < 0.6 ? (this.w.leader()?.id ?? pick(rng, ids)) : pick(rng, ids);
      if (target === undefined) return;
      network.partition([target], ids.filter((id) => id !== target));
      trace.add(`isolate n${target}`);
    } else {
      // Asymmetric faults: a node that can send but not receive (or the reverse) is the classic trap for
      // leases and for leaders that never notice they lost their followers.
      const links: string[] = [];
      const count = rng.int(1, ids.length);
      for (let i = 0; i < count; i++) {
        const from = pick(rng, ids)!;
        const to = pick(rng, ids)!;
        if (from === to) continue;
        network.cutLink(from, to);
        links.push(`${from}->${to}`);
      }
      trace.add(`cut links ${links.join(' ')}`);
    }
  }

  private heal(): void {
    if (this.w.network.cutCount() === 0) return;
    this.w.network.heal();
    this.w.trace.add('network heals');
  }

  private degradeNetwork(): void {
    const f = drawFaults(this.w.rng);
    this.w.network.faults = f;
    this.w.trace.add(`network: drop ${(f.dropRate * 100).toFixed(0)}% dup ${(f.duplicateRate * 100).toFixed(0)}% delay ${f.minDelayMs}-${f.maxDelayMs}ms`);
  }

  private changeMembership(): void {
    const {rng, params} = this.w;
    const leader = this.w.leader();
    const conf = leader?.status()?.conf;
    if (leader === undefined || conf === undefined) return;
    const choice = rng.next();
    if (conf.learners.length > 0 && choice < 0.6) {
      const id = pick(rng, conf.learners)!;
      leader.input({kind: 'confChange', cc: {type: rng.next() < 0.8 ? 'promote' : 'remove', nodeId: id}});
    } else if (conf.voters.length < params.maxVoters && conf.learners.length === 0 && choice < 0.8) {
      const n = this.w.joiner();
      leader.input({kind: 'confChange', cc: {type: 'addLearner', nodeId: n.id}});
    } else if (conf.voters.length > 3) {
      leader.input({kind: 'confChange', cc: {type: 'remove', nodeId: pick(rng, conf.voters)!}});
    }
  }

  private transferLeadership(): void {
    const leader = this.w.leader();
    const voters = leader?.status()?.conf.voters.filter((id) => id !== leader.id) ?? [];
    const to = pick(this.w.rng, voters);
    if (leader !== undefined && to !== undefined) leader.input({kind: 'transfer', to});
  }
}

export function pick<T>(rng: Random, xs: readonly T[]): T | undefined {
  return xs.length === 0 ? undefined : xs[rng.int(0, xs.length - 1)];
}
