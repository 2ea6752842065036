import {MqError} from '../errors.js';
import type {Limits} from '../config/limits.js';
import {resolveAutoscale, type AutoscaleConfig, type AutoscaleSpec} from './autoscale-config.js';

export interface RetentionConfig {
  maxMessages: number | null;
  maxBytes: number | null;
  maxAgeMs: number | null;
  /**
   * Work queues: delete a message once every queue group on the topic has acked (or dead-lettered) it, and treat
   * max_messages/max_bytes as a capacity: a full topic refuses producers (TOPIC_FULL) instead of dropping work.
   */
  untilAcked: boolean;
}

export interface TopicConfig {
  /** Number of base partitions: keys, ids and producers hash over these. */
  partitions: number;
  replicationFactor: number;
  /** The replication factor was not given: it follows the cluster (min(3, brokers)) as brokers join. */
  replicationDefault?: boolean;
  retention: RetentionConfig;
  /** 0 turns de-duplication off for the topic. */
  dedupWindowMs: number;
  /** Elastic partitions (autoscale-config.ts); absent on topics that never scale. */
  autoscale?: AutoscaleConfig;
}

/** Why the autoscaler changed a topic: kept (the last few) in the topic record, shown in /status and `mq top`. */
export interface AutoscaleEvent {
  at: number;
  kind: 'added' | 'draining' | 'removed';
  partition: number;
  reason: string;
}

/** What the broker persists per topic. Partition numbers are never reused; `base` is the ordered hashing list. */
export interface TopicRecord {
  name: string;
  config: TopicConfig;
  createdAt: number;
  /** `replicas`: the brokers holding the partition, the preferred leader first. */
  partitions: Array<{number: number; pid: number; replicas: number[]; autoscaled?: boolean; draining?: boolean}>;
  base: number[];
  nextPartitionNumber: number;
  /** The autoscaler's recent changes, newest last (autoscaled topics only). */
  autoscaleEvents?: AutoscaleEvent[];
}

export interface TopicSpec {
  name: string;
  partitions?: number;
  replicationFactor?: number;
  retention?: Partial<RetentionConfig>;
  dedupWindowMs?: number;
  autoscale?: AutoscaleSpec;
}

export interface TopicPatch {
  partitions?: number;
  retention?: Partial<RetentionConfig>;
  dedupWindowMs?: number;
  /** null turns autoscaling off. */
  autoscale?: AutoscaleSpec | null;
}

const NAME = /^[A-Za-z0-9._-]{1,196}$/;
export const DEDUP_WINDOW_MS_MAX = 7 * 24 * 3600 * 1000;

/** Topic names: [A-Za-z0-9._-]{1,196}, not all dots; names starting with __ are reserved for mq's internal topics. */
export function validateTopicName(name: unknown, opts: {allowInternal?: boolean} = {}): string {
  if (typeof name !== 'string' || !NAME.test(name) || /^\.+$/.test(name)) {
    throw new MqError('INVALID_TOPIC_NAME', `invalid topic name ${JSON.stringify(name)}: use 1-196 of [A-Za-z0-9._-], not only dots`);
  }
  if (name.startsWith('__') && !opts.allowInternal) {
    throw new MqError('INVALID_TOPIC_NAME', `topic names starting with __ are reserved for mq (${name})`);
  }
  return name;
}

function checkInt(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new MqError('INVALID_CONFIG', `${field} must be an integer in [${min}, ${max}]`, {field, value: v as never});
  }
  return v;
}

function retentionValue(field: string, v: unknown): number | null {
  return v === null || v === undefined ? null : checkInt(field, v, 1, Number.MAX_SAFE_INTEGER);
}

export function mergeRetention(base: RetentionConfig, patch: Partial<RetentionConfig> | undefined): RetentionConfig {
  if (patch === undefined) return base;
  const r: RetentionConfig = {
    maxMessages: 'maxMessages' in patch ? retentionValue('retention.max_messages', patch.maxMessages) : base.maxMessages,
    maxBytes: 'maxBytes' in patch ? retentionValue('retention.max_bytes', patch.maxBytes) : base.maxBytes,
    maxAgeMs: 'maxAgeMs' in patch ? retentionValue('retention.max_age_ms', patch.maxAgeMs) : base.maxAgeMs,
    untilAcked: patch.untilAcked ?? base.untilAcked,
  };
  if (r.untilAcked && r.maxAgeMs !== null) {
    throw new MqError('INVALID_CONFIG', 'retention.until_acked keeps every message until it is processed; it cannot also have max_age_ms');
  }
  return r;
}

export function resolveTopicConfig(spec: TopicSpec, defaults: {dedupWindowMs: number; brokers: number}, limits: Limits): TopicConfig {
  const partitions = checkInt('partitions', spec.partitions ?? 1, 1, limits.partitionsPerTopicMax);
  const replicationFactor = checkInt('replication_factor', spec.replicationFactor ?? Math.min(3, defaults.brokers), 1, 7);
  if (replicationFactor > defaults.brokers) {
    throw new MqError('INVALID_CONFIG', `replication_factor ${replicationFactor} is more than the ${defaults.brokers} broker(s) in the cluster`);
  }
  const config: TopicConfig = {
    partitions,
    replicationFactor,
    retention: mergeRetention({maxMessages: null, maxBytes: null, maxAgeMs: null, untilAcked: false}, spec.retention),
    dedupWindowMs: checkInt('dedup_window_ms', spec.dedupWindowMs ?? defaults.dedupWindowMs, 0, DEDUP_WINDOW_MS_MAX),
  };
  const autoscale = resolveAutoscale(spec.autoscale, undefined, partitions, limits.partitionsPerTopicMax);
  return autoscale ? {...config, autoscale} : config;
}

export function applyTopicPatch(config: TopicConfig, patch: TopicPatch, limits: Limits): TopicConfig {
  let partitions = config.partitions;
  if (patch.partitions !== undefined) {
    partitions = checkInt('partitions', patch.partitions, 1, limits.partitionsPerTopicMax);
    if (partitions < config.partitions) {
      throw new MqError('INVALID_CONFIG', `partitions can only grow (from ${config.partitions}); keys would remap and data would be stranded`);
    }
  }
  const {autoscale: previous, ...rest} = config;
  const autoscale = resolveAutoscale(patch.autoscale, previous, partitions, limits.partitionsPerTopicMax);
  const next: TopicConfig = {
    ...rest,
    partitions,
    retention: mergeRetention(config.retention, patch.retention),
    dedupWindowMs: patch.dedupWindowMs === undefined ? config.dedupWindowMs : checkInt('dedup_window_ms', patch.dedupWindowMs, 0, DEDUP_WINDOW_MS_MAX),
  };
  return autoscale ? {...next, autoscale} : next;
}
