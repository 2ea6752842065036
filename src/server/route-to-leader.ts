import type {FastifyReply, FastifyRequest} from 'fastify';
import type {Broker} from '../broker/broker.js';
import {MqError} from '../errors.js';
import {forwardingAllowed, forwardRequest, notLeader, tooManyHops} from './forward.js';

export interface Target {
  /** The Raft group that must handle the request: 0 for metadata, a partition's id otherwise. */
  gid: number;
  /** For messages: "orders/2", "the metadata group". */
  what: string;
  /** The partition's replicas, when this broker may not hold one (it then asks the preferred replica). */
  replicas?: readonly number[];
}

async function leaderOf(broker: Broker, gid: number): Promise<number> {
  const g = broker.host.groups.get(gid);
  if (!g) return 0;
  const deadline = broker.clock.monotonic() + broker.electionWaitMs();
  while (g.leader === 0 && broker.clock.monotonic() < deadline && !broker.isClosing) await new Promise((r) => setTimeout(r, 10));
  return g.leader;
}

/**
 * Serves a request here if this broker leads the target group; otherwise forwards it to the leader (any broker
 * accepts any request, so round-robin load balancers work) and returns true once the reply is relayed, or, with
 * `x-mq-no-forward: 1`, throws 421 NOT_LEADER naming the leader. While there is no leader: 503, nothing written.
 */
export async function serveOrForward(broker: Broker, req: FastifyRequest, reply: FastifyReply, t: Target): Promise<boolean> {
  const g = broker.host.groups.get(t.gid);
  if (g?.isLeader) return false;
  const replica = g !== undefined;
  const leader = replica ? await leaderOf(broker, t.gid) : (t.replicas?.[0] ?? 0);
  if (leader === broker.nodeId) return false;
  const url = leader === 0 ? null : broker.cluster.urlOf(leader);
  const extra = t.replicas ? {replicas: t.replicas} : {};
  if (!forwardingAllowed(req)) throw notLeader(t.what, replica ? leader : 0, replica ? url : null, extra);
  if (leader === 0 || url === null) {
    throw new MqError('UNAVAILABLE', `${t.what} has no leader right now (an election is under way); nothing was written`, {...extra, leader}, false);
  }
  if (tooManyHops(req)) throw notLeader(t.what, leader, url, extra);
  return forwardRequest(broker.peerHttp, req, reply, url, broker.nodeId, broker.config.requestTimeoutMs, (m, p, b) => broker.membership.peerAuthHeaders(m, p, b));
}

/** The metadata group: topic changes go through its leader. */
export function metadataTarget(): Target {
  return {gid: 0, what: 'the metadata group (topic changes)'};
}

/** A partition by topic and number (PARTITION_NOT_FOUND / TOPIC_NOT_FOUND if the metadata has no such thing). */
export function partitionTarget(broker: Broker, topic: string, partition: number): Target {
  const t = broker.topics.mustGet(topic);
  const p = t.record.partitions.find((x) => x.number === partition);
  if (!p) throw new MqError('PARTITION_NOT_FOUND', `topic ${topic} has no partition ${partition}`, {topic, partition});
  return {gid: p.pid, what: `${topic}/${partition}`, replicas: p.replicas};
}

/**
 * A topic this broker does not know may be one the metadata leader created a moment ago: ask the leader rather than
 * answer 404. Returns true once the leader's reply is relayed, false to answer here.
 */
export async function unknownTopicAtLeader(broker: Broker, req: FastifyRequest, reply: FastifyReply, topic: string): Promise<boolean> {
  if (broker.topics.get(topic) || broker.metadata.isLeader || !forwardingAllowed(req) || tooManyHops(req)) return false;
  return serveOrForward(broker, req, reply, metadataTarget());
}
