import type {Logger} from '../observe/logger.js';
import type {Clock} from '../util/clock.js';
import type {MetadataGroup} from './metadata/metadata-group.js';
import type {BrokerRecord} from './metadata/metadata-state.js';
import type {RaftHost} from './raft-host.js';
import type {PeerStatus} from './transport/types.js';

/** How often a leader checks whether a partition's preferred leader (its first replica) can take over again. */
const BALANCE_EVERY_MS = 5_000;

export interface ClusterPeers {
  /** The client URL a connected peer announced in its handshake. */
  peerInfo(id: number): {url: string; peerUrl: string} | undefined;
  peers(): PeerStatus[];
}

export interface BrokerView extends BrokerRecord {
  status: 'self' | 'connected' | 'unreachable';
  lastSeenMsAgo: number | null;
}

/**
 * What a broker does as a cluster member beyond Raft itself: it knows every broker's client URL (for forwarding and
 * for the leader named in a 421), keeps the metadata's broker records current while it is the metadata leader, and
 * hands partition leadership back to each partition's preferred replica once that replica has caught up, so that
 * leaders stay spread over the brokers after a failover.
 */
export class ClusterRuntime {
  url: string | null = null;
  peerUrl: string | null = null;
  peers: ClusterPeers | undefined;
  private balancer: NodeJS.Timeout | undefined;
  private registering = false;
  /** Work the metadata leader does when it takes over (internal topics); set by the broker. */
  onMetadataLeader: (() => void) | undefined;

  constructor(
    readonly nodeId: number,
    private readonly metadata: MetadataGroup,
    private readonly host: RaftHost,
    private readonly clock: Clock,
    private readonly logger: Logger,
    readonly version: string,
  ) {}

  get clusterId(): string {
    return this.metadata.state.clusterId;
  }

  /** The client URL of a broker: this one's, a connected peer's handshake, or the metadata's record. */
  urlOf(id: number): string | null {
    if (id === this.nodeId) return this.url;
    return this.peers?.peerInfo(id)?.url ?? this.metadata.state.brokers.get(id)?.url ?? null;
  }

  start(url: string, peerUrl: string | null): void {
    this.url = url;
    this.peerUrl = peerUrl;
    this.balancer = setInterval(() => this.balanceLeaders(), BALANCE_EVERY_MS);
    this.balancer.unref();
    this.registerBrokers();
  }

  stop(): void {
    clearInterval(this.balancer);
  }

  leadership(isLeader: boolean): void {
    if (!isLeader) return;
    this.logger.info({term: this.metadata.group.node.status().term}, 'this broker leads the metadata group');
    this.registerBrokers();
    this.onMetadataLeader?.();
  }

  /** A peer completed its handshake: the metadata leader records its URLs if they changed. */
  peerConnected(): void {
    this.registerBrokers();
  }

  /** While leading the metadata group: make each broker's record carry the URLs it announced. */
  registerBrokers(): void {
    if (!this.metadata.isLeader || this.registering || this.url === null) return;
    const wanted: BrokerRecord[] = [];
    for (const b of this.metadata.brokers()) {
      const info = b.id === this.nodeId ? {url: this.url, peerUrl: this.peerUrl ?? b.peerUrl} : this.peers?.peerInfo(b.id);
      if (!info) continue;
      const version = b.id === this.nodeId ? this.version : b.version;
      // a single node that becomes a cluster's first member: its own peer address follows its configuration. Once there
      // are several, the recorded address (the bootstrap list's, or the join request's) wins: the bound address may be
      // a wildcard or sit behind a proxy the others must dial
      const alone = this.metadata.brokers().length === 1;
      const peer = b.id === this.nodeId && alone && this.peerUrl ? this.peerUrl.replace(/^tcp:\/\//, '') : b.peer;
      if (info.url !== b.url || info.peerUrl !== b.peerUrl || version !== b.version || peer !== b.peer) wanted.push({...b, peer, url: info.url, peerUrl: info.peerUrl ?? null, version});
    }
    if (wanted.length === 0) return;
    this.registering = true;
    void (async () => {
      try {
        for (const broker of wanted) await this.metadata.propose({op: 'broker.upsert', broker});
      } catch (err) {
        this.logger.debug({err}, 'could not record broker addresses (will retry)');
      } finally {
        this.registering = false;
      }
    })();
  }

  brokers(): BrokerView[] {
    const now = this.clock.now();
    const peers = new Map((this.peers?.peers() ?? []).map((p) => [p.id, p]));
    return this.metadata.brokers().map((b) => {
      if (b.id === this.nodeId) return {...b, url: this.url ?? b.url, status: 'self', lastSeenMsAgo: null};
      const p = peers.get(b.id);
      const seen = (p as (PeerStatus & {lastReceivedAt?: number}) | undefined)?.lastReceivedAt;
      return {
        ...b,
        url: this.urlOf(b.id),
        status: p?.connected ? 'connected' : 'unreachable',
        lastSeenMsAgo: seen ? Math.max(0, now - seen) : null,
      };
    });
  }

  /**
   * Preferred-leader balancing: a partition led here whose first replica is another broker that holds the whole log
   * is handed over (a Raft leadership transfer: no entry is lost, writes pause for about one round trip).
   */
  balanceLeaders(): void {
    for (const g of this.host.groups.values()) {
      if (g.gid === 0 || !g.isLeader) continue;
      const preferred = g.preferredLeader;
      if (preferred === undefined || preferred === this.nodeId) continue;
      const st = g.node.status();
      const pr = st.progress?.get(preferred);
      if (!pr || pr.isLearner || pr.match < st.lastIndex || st.leadTransferee !== 0) continue;
      if (!(this.peers?.peers().find((p) => p.id === preferred)?.connected ?? false)) continue;
      this.logger.info({group: g.gid, to: preferred}, 'handing leadership to the preferred replica');
      g.node.transferLeadership(preferred);
      this.host.schedule();
    }
  }
}
