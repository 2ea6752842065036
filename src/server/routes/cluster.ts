import type {FastifyInstance} from 'fastify';
import type {Broker} from '../../broker/broker.js';
import {MqError} from '../../errors.js';
import {EntryKind} from '../../storage/index.js';
import {VERSION} from '../../version.js';
import {z} from 'zod';
import {JOIN_AUTH} from '../../cluster/join.js';
import {bodyBuffer, intParam, jsonObjectBody, onlyParams} from '../http-util.js';
import {parseBody} from './body.js';

/** GET /v1/cluster (the seed's CLUSTER_QUERY) and the debug read of this broker's own replica (DESIGN §9). */
const joinSchema = z.strictObject({
  node_id: z.number().int().positive(),
  peer: z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/),
  url: z.url(),
  peer_url: z.string().max(2048),
  version: z.string().max(64),
  incarnation: z.string().min(1).max(64),
});

export function clusterRoutes(app: FastifyInstance, broker: Broker): void {
  /** The seed's JOIN_CLUSTER: a broker that holds the cluster secret asks to be admitted (forwarded to the metadata leader). */
  app.post('/v1/cluster/join', async (req) => {
    onlyParams(req.query as Record<string, unknown>, []);
    const raw = bodyBuffer(req);
    if (!broker.clustered) throw new MqError('CLUSTER_MISMATCH', 'this broker is not part of a cluster: start it with --bootstrap listing only itself first');
    if (!broker.membership.authorized(raw, req.headers[JOIN_AUTH])) throw new MqError('CLUSTER_MISMATCH', 'the join request is not signed with this cluster\'s secret (check --cluster-secret-file)');
    const b = parseBody(joinSchema, jsonObjectBody(req));
    return broker.controller.admit(b);
  });

  /** `mq cluster remove`: moves the broker's replicas away, then drops it from the cluster. */
  app.delete<{Params: {id: string}}>('/v1/cluster/brokers/:id', async (req, reply) => {
    onlyParams(req.query as Record<string, unknown>, []);
    const id = intParam({id: req.params.id}, 'id', 0);
    await broker.controller.startRemoval(id);
    return reply.code(202).send({removing: id});
  });

  /** `mq cluster rebalance`: spreads replicas and preferred leaders evenly. */
  app.post('/v1/cluster/rebalance', async (req) => {
    onlyParams(req.query as Record<string, unknown>, []);
    const moves = await broker.controller.rebalance();
    return {moves: moves.map((m) => ({topic: m.topic, partition: m.partition, replicas: m.replicas}))};
  });

  app.get('/v1/cluster', async (req) => {
    onlyParams(req.query as Record<string, unknown>, []);
    const md = broker.metadata;
    const leader = md.leader;
    const st = md.group.node.status();
    return {
      cluster_id: md.state.clusterId,
      mode: broker.clustered ? 'cluster' : 'single',
      node_id: broker.nodeId,
      version: VERSION,
      cluster_version: md.state.version,
      metadata: {leader: leader || null, leader_url: leader ? broker.cluster.urlOf(leader) : null, term: st.term, commit_index: st.commit, voters: st.conf.voters, learners: st.conf.learners},
      brokers: broker.cluster.brokers().map((b) => ({
        id: b.id,
        url: b.url,
        peer: b.peer,
        peer_url: b.peerUrl,
        version: b.version,
        status: b.status,
        leaving: b.leaving ?? false,
        last_seen_ms_ago: b.lastSeenMsAgo,
      })),
      partitions: broker.topics.list().flatMap((t) =>
        t.record.partitions.map((p) => {
          const log = t.partitions.get(p.number);
          const l = log?.group.leader ?? 0;
          return {
            topic: t.record.name,
            partition: p.number,
            replicas: p.replicas,
            leader: l || null,
            leader_url: l ? broker.cluster.urlOf(l) : null,
            term: log ? log.term : null,
            // an autoscaled partition on its way out: clients route nothing new to it
            ...(p.draining ? {draining: true} : {}),
          };
        }),
      ),
    };
  });

  /**
   * What this broker's replica holds, committed or not, never forwarded: for tests that compare replicas. Each message
   * with its offset, the Raft term of the entry that wrote it, its id and CRC.
   */
  app.get<{Params: {topic: string; partition: string}; Querystring: Record<string, string | undefined>}>('/v1/debug/replica/:topic/:partition', async (req) => {
    onlyParams(req.query, ['offset', 'max_messages']);
    const partition = intParam({partition: req.params.partition}, 'partition', 0);
    const log = broker.topics.mustGet(req.params.topic).partitions.get(partition);
    if (!log) throw new MqError('PARTITION_NOT_FOUND', `this broker holds no replica of ${req.params.topic}/${partition}`, {topic: req.params.topic, partition});
    const state = broker.store.partitionState(log.pid)!;
    const from = intParam(req.query, 'offset', state.logStart, 'INVALID_OFFSET');
    const max = Math.min(Math.max(intParam(req.query, 'max_messages', 1000), 1), 10_000);
    const messages = broker.store.readMessages(log.pid, from, {maxMessages: max, maxBytes: 64 * 1024 * 1024, endOffset: state.nextOffset});
    const terms = termsByOffset(broker, log.pid, state.firstIndex, messages[0]?.offset ?? from, messages[messages.length - 1]?.offset ?? from);
    const st = log.group.node.status();
    return {
      node_id: broker.nodeId,
      topic: log.topic,
      partition,
      role: st.role,
      recovering: log.group.recovering,
      term: st.term,
      leader: st.leader || null,
      commit_index: st.commit,
      last_applied: st.applied,
      last_index: st.lastIndex,
      log_start_offset: state.logStart,
      high_watermark: log.highWatermark,
      next_offset: state.nextOffset,
      messages: messages.map((m) => ({offset: m.offset, term: terms.get(m.offset) ?? null, id: m.id, crc: m.crc, committed: m.offset < log.highWatermark})),
    };
  });
}

/** The term of the Raft entry that wrote each offset in [lo, hi] (null once that entry is compacted away). */
function termsByOffset(broker: Broker, pid: number, firstIndex: number, lo: number, hi: number): Map<number, number> {
  const out = new Map<number, number>();
  for (let index = firstIndex; ; ) {
    const entries = broker.store.readEntries(pid, index, 1024);
    if (entries.length === 0) break;
    for (const e of entries) {
      if (e.kind !== EntryKind.Messages) continue;
      for (let o = Math.max(e.firstOffset, lo); o < e.firstOffset + e.count && o <= hi; o++) out.set(o, e.term);
    }
    const last = entries[entries.length - 1]!;
    if (last.kind === EntryKind.Messages && last.firstOffset > hi) break;
    index = last.index + 1;
  }
  return out;
}
