import {MqError} from '../errors.js';
import type {Broker} from './broker.js';
import type {BrokerConfig} from '../config/index.js';
import {GROUPS_TOPIC} from './groups/index.js';
import {RECEIPTS_TOPIC} from './queue/receipts.js';
import type {TopicSpec} from './topic-config.js';

/** Internal topics every cluster has; the metadata leader creates them. */
export const internalTopicSpecs = (cfg: BrokerConfig): TopicSpec[] => [
  {name: GROUPS_TOPIC, partitions: cfg.groupsPartitions, dedupWindowMs: 0},
  // receipts carry ids derived from what they confirm: a retried write is absorbed
  {name: RECEIPTS_TOPIC, partitions: cfg.groupsPartitions, dedupWindowMs: 10 * 60_000, retention: {maxAgeMs: 7 * 24 * 3600 * 1000}},
];

/** The metadata leader creates the internal topics (on every change of leader, in case the last one could not). */
export class InternalTopics {
  private ensuring = false;

  constructor(private readonly broker: Broker) {}

  async ensure(): Promise<void> {
    const b = this.broker;
    if (this.ensuring) return;
    this.ensuring = true;
    try {
      for (const spec of internalTopicSpecs(b.config)) {
        while (!b.topics.get(spec.name) && b.metadata.isLeader && !b.isClosing) {
          try {
            await b.topics.create(spec, {allowInternal: true});
            b.logger.info({topic: spec.name}, 'internal topic created');
          } catch (err) {
            if ((err as MqError).code === 'TOPIC_EXISTS') break;
            b.logger.warn({err, topic: spec.name}, 'could not create an internal topic; retrying');
            await new Promise((r) => setTimeout(r, 200));
          }
        }
      }
    } finally {
      this.ensuring = false;
    }
  }
}

/**
 * Creates a topic unless it exists, from any broker: through the metadata group here if this broker leads it,
 * otherwise by asking the metadata leader; resolves once the topic is known here.
 */
export async function ensureTopicAnywhere(broker: Broker, spec: TopicSpec): Promise<void> {
  if (broker.topics.get(spec.name)) return;
  try {
    if (broker.metadata.isLeader) {
      await broker.topics.create(spec);
      return;
    }
    const url = broker.cluster.urlOf(broker.metadata.leader);
    if (!url) throw new MqError('UNAVAILABLE', 'no metadata leader is known to create the topic', {topic: spec.name}, false);
    const r = spec.retention;
    const body = {
      name: spec.name,
      partitions: spec.partitions,
      replication_factor: spec.replicationFactor,
      retention: r && {max_messages: r.maxMessages, max_bytes: r.maxBytes, max_age_ms: r.maxAgeMs, until_acked: r.untilAcked},
      dedup_window_ms: spec.dedupWindowMs,
    };
    const json = JSON.stringify(body);
    const headers = {'content-type': 'application/json', ...broker.membership.peerAuthHeaders('POST', '/v1/topics', json)};
    const res = await broker.peerHttp.pool(url).request({method: 'POST', path: '/v1/topics', headers, body: json});
    const text = await res.body.text();
    if (res.statusCode >= 400) throw MqError.fromBody(res.statusCode, JSON.parse(text || '{}'));
  } catch (error) {
    if ((error as MqError).code !== 'TOPIC_EXISTS') throw error;
  }
  const deadline = broker.clock.monotonic() + 10_000;
  while (!broker.topics.get(spec.name)) {
    if (broker.clock.monotonic() > deadline) throw new MqError('UNAVAILABLE', `topic ${spec.name} was created but has not reached this broker yet`, {topic: spec.name}, true);
    await new Promise((res) => setTimeout(res, 10));
  }
}
