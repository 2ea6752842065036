import {randomUUID} from 'node:crypto';
import type {ClusterRuntime} from '../cluster/cluster-runtime.js';
import {requestJoin, verifyJoinMac, type JoinRequest, type JoinResponse} from '../cluster/join.js';
import {deriveKey, internalWriteMac, PEER_AUTH, signPeerRequest, verifyInternalWrite, verifyPeerRequest} from '../cluster/internal-auth.js';
import type {MetadataGroup} from '../cluster/metadata/metadata-group.js';
import type {RaftHost} from '../cluster/raft-host.js';
import type {BrokerConfig} from '../config/index.js';
import {MqError} from '../errors.js';
import type {Logger} from '../observe/logger.js';
import {peerTlsOf} from '../security/tls-settings.js';
import type {LogStore} from '../storage/index.js';
import type {Clock} from '../util/clock.js';
import {VERSION} from '../version.js';

const INCARNATION_KEY = 'node/incarnation';
/** Between two announcements of lost data (many replicas find one loss at about the same time). */
const REANNOUNCE_COOLDOWN_MS = 5_000;

export interface MembershipDeps {
  config: BrokerConfig;
  secret: Buffer | undefined;
  store: LogStore;
  host: RaftHost;
  metadata: MetadataGroup;
  cluster: ClusterRuntime;
  clock: Clock;
  logger: Logger;
  closing(): boolean;
}

/**
 * This broker's side of cluster membership: its incarnation (random per data directory), the join request of a new
 * or emptied broker, the re-announcement after lost data, and the leadership handoff before a graceful stop.
 */
export class BrokerMembership {
  /** Random per data directory (see BrokerRecord.incarnation). */
  incarnation: string;
  private reannouncing = false;
  /** Lost data found while an announcement was under way or cooling down: announce once more after it. */
  private reannounceAgain = false;

  constructor(private readonly d: MembershipDeps) {
    this.incarnation = d.store.getMeta(INCARNATION_KEY) ?? this.newIncarnation();
  }

  /** Signs a write to an internal topic that another broker leads (`x-mq-internal-auth`). */
  internalMac(topic: string, body: Buffer): string | undefined {
    return this.d.secret && internalWriteMac(this.d.secret, topic, body);
  }

  /** Whether a write to an internal topic comes from a broker of this cluster. */
  internalAuthorized(topic: string, body: Buffer, mac: unknown): boolean {
    return verifyInternalWrite(this.d.secret, topic, body, mac);
  }

  /** Headers that sign a request to another broker's client listener (`x-mq-peer-auth`); none without a secret. */
  peerAuthHeaders(method: string, path: string, body?: Buffer | string): Record<string, string> {
    return this.d.secret ? {[PEER_AUTH]: signPeerRequest(this.d.secret, method, path, body, this.d.clock.now())} : {};
  }

  /** Whether a request comes from a broker of this cluster (see peerAuthHeaders). */
  peerAuthorized(method: string, path: string, body: Buffer | undefined, header: unknown): boolean {
    return verifyPeerRequest(this.d.secret, method, path, body, header, this.d.clock.now());
  }

  /** A key derived from the cluster secret for one purpose (ephemeral tokens); undefined on a single broker. */
  derivedKey(label: string): Buffer | undefined {
    return this.d.secret && deriveKey(this.d.secret, label);
  }

  /** Whether a join request carries a valid proof of the cluster secret. */
  authorized(body: Buffer, mac: unknown): boolean {
    return this.d.secret !== undefined && verifyJoinMac(this.d.secret, body, mac);
  }

  /** A new (or emptied) broker asks `--join`'s member to admit it; the answer names the cluster and its brokers. */
  async join(url: string): Promise<JoinResponse> {
    const {config, secret, logger} = this.d;
    if (!secret || !config.join) throw new MqError('INTERNAL', 'join needs a cluster secret and --join');
    const res = await requestJoin(config.join, secret, this.request(url, null), {timeoutMs: 60_000, tls: peerTlsOf(config)});
    logger.info({cluster: res.cluster_id, via: config.join, rejoined: res.rejoined}, 'admitted to the cluster; catching up');
    return res;
  }

  /**
   * A replica found it lacks entries its leader counts on (a damaged or truncated log): this broker announces a new
   * incarnation, so the leaders reset its replicas (they catch up as learners) instead of trusting what it lost.
   */
  async reannounce(): Promise<void> {
    const {secret, cluster, metadata, config, clock, logger} = this.d;
    if (!secret || cluster.url === null) return;
    if (this.reannouncing) {
      // a loss found after the announcement in flight was acted on (a second bit flip, say) was dropped here once:
      // nobody reset those replicas, and they waited for good for entries their leader believed they held
      this.reannounceAgain = true;
      return;
    }
    this.reannouncing = true;
    try {
      this.incarnation = this.newIncarnation();
      const deadline = clock.monotonic() + 60_000;
      let via: string | null | undefined;
      // any member forwards to the metadata leader; wait until one is known
      while (!(via = cluster.urlOf(metadata.leader) ?? config.join) && clock.monotonic() < deadline && !this.d.closing()) await new Promise((r) => setTimeout(r, 100));
      if (!via) throw new MqError('UNAVAILABLE', 'no metadata leader to announce to');
      await requestJoin(via, secret, this.request(cluster.url, cluster.peerUrl), {timeoutMs: 60_000, tls: peerTlsOf(config)});
      logger.warn({incarnation: this.incarnation}, 'lost data reported to the cluster: replicas are being re-synced');
    } catch (err) {
      logger.error({err}, 'could not report lost data to the cluster');
    } finally {
      // one announcement covers every replica that found the loss meanwhile; a later one announces again
      setTimeout(() => {
        this.reannouncing = false;
        if (!this.reannounceAgain || this.d.closing()) return;
        this.reannounceAgain = false;
        void this.reannounce();
      }, REANNOUNCE_COOLDOWN_MS).unref();
    }
  }

  /**
   * Before a graceful stop: hands every group this broker leads to a caught-up voter (a Raft leadership transfer:
   * no election timeout, nothing lost), so the cluster keeps writing through the restart. Gives up after timeoutMs.
   */
  async handOffLeadership(timeoutMs: number): Promise<void> {
    const {host, clock, logger, config} = this.d;
    const deadline = clock.monotonic() + timeoutMs;
    for (;;) {
      const led = [...host.groups.values()].filter((g) => g.isLeader && g.confState().voters.length > 1);
      if (led.length === 0 || clock.monotonic() > deadline) {
        if (led.length > 0) logger.warn({groups: led.length}, 'could not hand over every group before stopping');
        return;
      }
      for (const g of led) {
        const st = g.node.status();
        if (st.leadTransferee !== 0) continue;
        const to = st.conf.voters
          .filter((id) => id !== config.nodeId)
          .sort((a, b) => (st.progress?.get(b)?.match ?? 0) - (st.progress?.get(a)?.match ?? 0) || (a === g.preferredLeader ? -1 : 1))[0];
        if (to !== undefined) g.node.transferLeadership(to);
      }
      host.schedule();
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private request(url: string, peerUrl: string | null): JoinRequest {
    const peer = this.d.config.peerAdvertise ?? this.d.config.peerListen;
    return {node_id: this.d.config.nodeId, peer, url, peer_url: peerUrl ?? `tcp://${peer}`, version: VERSION, incarnation: this.incarnation};
  }

  private newIncarnation(): string {
    const id = randomUUID();
    this.d.store.putMeta(INCARNATION_KEY, id);
    return id;
  }
}
