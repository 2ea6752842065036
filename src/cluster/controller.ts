import type {TopicRegistry} from '../broker/topics.js';
import {MqError} from '../errors.js';
import type {Logger} from '../observe/logger.js';
import type {Clock} from '../util/clock.js';
import type {ClusterRuntime} from './cluster-runtime.js';
import type {JoinRequest, JoinResponse} from './join.js';
import type {MetadataGroup} from './metadata/metadata-group.js';
import type {BrokerRecord} from './metadata/metadata-state.js';
import {planRebalance, planRepairs, type Reassign} from './metadata/replica-plan.js';
import type {RaftGroup} from './raft-group.js';
import type {RaftHost} from './raft-host.js';
import {reconcile} from './reconciler.js';

const TICK_MS = 500;
/** Placement changes proposed per tick: replicas move a few partitions at a time. */
const MOVES_PER_TICK = 16;

export interface ControllerOptions {
  nodeId: number;
  /** Give up on a broker unreachable this long and re-replicate its partitions elsewhere (0: never). */
  replaceAfterMs: number;
}

/**
 * Membership and placement. On every broker: each Raft group this broker leads is brought to its target members
 * (metadata: every broker; a partition: its replicas), and replicas no longer placed here are dropped. On the
 * metadata leader (the seed's coordinator): joins and removals, replication factors kept up on eligible brokers
 * (replacing leaving, removed or given-up brokers), and rebalancing after a join or on request.
 */
export class Controller {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private readonly downSince = new Map<number, number>();
  private rebalanceDue = false;
  /** Each broker's incarnation as last seen here; a change means it lost its data. */
  private readonly incarnations = new Map<number, string | null | undefined>();
  /** Brokers that came back empty, and the groups in which this broker (as leader) has already reset them. */
  private readonly resets = new Map<number, Set<number>>();

  constructor(
    private readonly host: RaftHost,
    private readonly metadata: MetadataGroup,
    private readonly topics: TopicRegistry,
    private readonly cluster: ClusterRuntime,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly opts: ControllerOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private members(): BrokerRecord[] {
    return this.metadata.brokers().filter((b) => !b.leaving);
  }

  /** Members that may hold replicas: not leaving, and not unreachable for longer than replaceAfterMs. */
  eligible(): number[] {
    const now = this.clock.monotonic();
    const status = new Map(this.cluster.brokers().map((b) => [b.id, b.status]));
    const out: number[] = [];
    for (const b of this.members()) {
      if (status.get(b.id) === 'unreachable') this.downSince.set(b.id, this.downSince.get(b.id) ?? now);
      else this.downSince.delete(b.id);
      const since = this.downSince.get(b.id);
      if (this.opts.replaceAfterMs > 0 && since !== undefined && now - since > this.opts.replaceAfterMs) continue;
      out.push(b.id);
    }
    return out;
  }

  private replicasOf(pid: number): number[] | undefined {
    for (const t of this.metadata.state.topics.values()) {
      const p = t.partitions.find((x) => x.pid === pid);
      if (p) return p.replicas;
    }
    return undefined;
  }

  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      this.noticeIncarnations();
      for (const g of this.host.groups.values()) {
        if (!g.isLeader || this.resetLostReplica(g)) continue;
        const target = g.gid === 0 ? this.members().map((b) => b.id) : this.replicasOf(g.gid);
        if (target) reconcile(g, target, this.logger);
      }
      this.topics.sweepRetired();
      if (this.metadata.isLeader) await this.place();
    } catch (err) {
      this.logger.debug({err}, 'controller tick failed (will retry)');
    } finally {
      this.busy = false;
    }
  }

  private noticeIncarnations(): void {
    for (const b of this.metadata.brokers()) {
      // founders start with no incarnation on record; any change after this broker first saw it is a lost directory
      if (this.incarnations.has(b.id) && b.incarnation && this.incarnations.get(b.id) !== b.incarnation) {
        this.logger.warn({broker: b.id}, 'broker came back without its data: resetting its replicas');
        this.resets.set(b.id, new Set());
      }
      this.incarnations.set(b.id, b.incarnation);
    }
  }

  /**
   * A leader's progress for a replica never goes back, so a replica that lost its data would be counted as holding
   * entries it no longer has, and never be sent them. Removing it from the group resets that: the reconciler then
   * adds it back as a learner, which catches up from scratch and is promoted once it holds everything committed.
   */
  private resetLostReplica(g: RaftGroup): boolean {
    const conf = g.confState();
    for (const [id, done] of this.resets) {
      if (done.has(g.gid)) continue;
      if (!conf.voters.includes(id) && !conf.learners.includes(id)) {
        done.add(g.gid);
        continue;
      }
      try {
        g.proposeConfChange({type: 'remove', nodeId: id});
        done.add(g.gid);
        this.logger.info({group: g.gid, broker: id}, 'replica that lost its data removed; it rejoins as a learner');
        return true;
      } catch (err) {
        this.logger.debug({err, group: g.gid, broker: id}, 'cannot reset the replica yet');
        return true;
      }
    }
    return false;
  }

  private input(): Parameters<typeof planRepairs>[0] {
    return {topics: [...this.metadata.state.topics.values()], eligible: this.eligible(), members: this.members().length};
  }

  private async propose(moves: readonly Reassign[], max = MOVES_PER_TICK): Promise<void> {
    for (const m of moves.slice(0, max)) {
      await this.metadata.propose({op: 'partition.reassign', ...m});
      this.logger.info({topic: m.topic, partition: m.partition, replicas: m.replicas}, 'partition reassigned');
    }
  }

  private async place(): Promise<void> {
    await this.propose(planRepairs(this.input()));
    if (this.rebalanceDue) {
      await this.propose(planRebalance(this.input()), Number.POSITIVE_INFINITY);
      // (cleared only once proposed: a failed attempt, e.g. a change of leader, is retried next tick)
      this.rebalanceDue = false;
    }
    for (const b of this.metadata.brokers()) {
      if (!b.leaving) continue;
      const holds = [...this.metadata.state.topics.values()].some((t) => t.partitions.some((p) => p.replicas.includes(b.id)));
      if (!holds) {
        await this.metadata.propose({op: 'broker.remove', id: b.id});
        this.logger.info({broker: b.id}, 'broker removed from the cluster');
      }
    }
  }

  /** The metadata leader admits a broker (or takes back one that lost its data: same id, new incarnation). */
  async admit(req: JoinRequest): Promise<JoinResponse> {
    const prior = this.metadata.state.brokers.get(req.node_id);
    if (prior?.leaving) throw new MqError('BROKER_IN_USE', `broker ${req.node_id} is being removed; wait until it is gone, then join again`, {broker: req.node_id});
    // only a broker without metadata asks to join: a known id asking again lost its data directory
    const rejoined = prior !== undefined;
    await this.metadata.propose({
      op: 'broker.join',
      broker: {id: req.node_id, peer: req.peer, url: req.url, peerUrl: req.peer_url, version: req.version, incarnation: req.incarnation},
    });
    this.logger.info({broker: req.node_id, peer: req.peer, rejoined}, prior ? 'broker rejoined' : 'broker joined');
    if (!prior) this.rebalanceDue = true;
    return {
      cluster_id: this.metadata.state.clusterId,
      brokers: this.metadata.brokers().map((b) => ({id: b.id, peer: b.peer})),
      rejoined,
    };
  }

  /** `mq cluster remove`: the broker's replicas move elsewhere, then it leaves the metadata. */
  async startRemoval(id: number): Promise<void> {
    const b = this.metadata.state.brokers.get(id);
    if (!b) throw new MqError('BROKER_NOT_FOUND', `broker ${id} is not a member`, {broker: id});
    if (this.members().length <= 1 && !b.leaving) throw new MqError('BROKER_IN_USE', 'the last broker cannot be removed', {broker: id});
    if (!b.leaving) await this.metadata.propose({op: 'broker.upsert', broker: {...b, leaving: true}});
  }

  /** `mq cluster rebalance`: spread replicas and preferred leaders evenly now. */
  async rebalance(): Promise<Reassign[]> {
    const plan = planRebalance(this.input());
    for (const m of plan) await this.metadata.propose({op: 'partition.reassign', ...m});
    return plan;
  }
}
