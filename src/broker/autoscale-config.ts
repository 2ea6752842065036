import {MqError} from '../errors.js';
import type {WireAutoscale, WireAutoscaleSpec} from '../protocol/wire.js';

/**
 * What one partition of an autoscaled topic is estimated to cost (configured, never measured: scaling decisions
 * must come out the same on every run). Checked against the brokers' `autoscaleMemoryBytes`/`autoscaleCpu`.
 */
export interface PartitionBudget {
  memoryBytes: number;
  /** Share of one core, e.g. 0.25. */
  cpu: number;
}

/** A topic's elastic partitions (DESIGN §3 "Autoscaling"); absent: the topic never scales. */
export interface AutoscaleConfig {
  /** Base plus autoscaled partitions never exceed this. */
  maxPartitions: number;
  /** Add a partition when one's load passes highWater × maxLoad. */
  highWater: number;
  /** Backlog per partition: the largest unacked count over the topic's queue groups, or lag over its stream groups. */
  maxLoad: number;
  /** An autoscaled partition empty (or fully acked) and unused this long is drained, then removed. */
  idleAfterMs: number;
  checkIntervalMs: number;
  partitionBudget: PartitionBudget;
}

export const AUTOSCALE_DEFAULTS = {
  highWater: 0.8,
  maxLoad: 1000,
  idleAfterMs: 60_000,
  checkIntervalMs: 5_000,
  partitionBudget: {memoryBytes: 64 * 1024 * 1024, cpu: 0.25},
} as const;

const CHECK_INTERVAL_MS_MIN = 10;
const IDLE_AFTER_MS_MAX = 7 * 24 * 3600 * 1000;

/** The wire form (snake_case); every field but max_partitions is optional. */
export interface AutoscaleSpec {
  maxPartitions?: number;
  highWater?: number;
  maxLoad?: number;
  idleAfterMs?: number;
  checkIntervalMs?: number;
  partitionBudget?: Partial<PartitionBudget>;
}

function int(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new MqError('INVALID_CONFIG', `autoscale.${field} must be an integer in [${min}, ${max}]`, {field: `autoscale.${field}`, value: v as never});
  }
  return v;
}

function fraction(field: string, v: unknown, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > max) {
    throw new MqError('INVALID_CONFIG', `autoscale.${field} must be a number in (0, ${max}]`, {field: `autoscale.${field}`, value: v as never});
  }
  return v;
}

/**
 * Resolves a topic's autoscale settings over the previous ones (an update changes only what it names). `null`
 * turns autoscaling off: partitions it added are drained and removed as they go idle.
 */
export function resolveAutoscale(
  spec: AutoscaleSpec | null | undefined,
  previous: AutoscaleConfig | undefined,
  basePartitions: number,
  partitionsMax: number,
): AutoscaleConfig | undefined {
  if (spec === null) return undefined;
  if (spec === undefined) {
    if (previous && previous.maxPartitions < basePartitions) {
      throw new MqError('INVALID_CONFIG', `autoscale.max_partitions (${previous.maxPartitions}) is below the ${basePartitions} base partitions`);
    }
    return previous;
  }
  const prev = previous ?? {...AUTOSCALE_DEFAULTS, maxPartitions: undefined, partitionBudget: AUTOSCALE_DEFAULTS.partitionBudget};
  const maxPartitions = int('max_partitions', spec.maxPartitions ?? prev.maxPartitions, basePartitions, partitionsMax);
  const budget = {...prev.partitionBudget, ...spec.partitionBudget};
  return {
    maxPartitions,
    highWater: fraction('high_water', spec.highWater ?? prev.highWater, 1),
    maxLoad: int('max_load', spec.maxLoad ?? prev.maxLoad, 1, Number.MAX_SAFE_INTEGER),
    idleAfterMs: int('idle_after_ms', spec.idleAfterMs ?? prev.idleAfterMs, 0, IDLE_AFTER_MS_MAX),
    checkIntervalMs: int('check_interval_ms', spec.checkIntervalMs ?? prev.checkIntervalMs, CHECK_INTERVAL_MS_MIN, IDLE_AFTER_MS_MAX),
    partitionBudget: {
      memoryBytes: int('partition_budget.memory_bytes', budget.memoryBytes, 0, Number.MAX_SAFE_INTEGER),
      cpu: fraction('partition_budget.cpu', budget.cpu, 64),
    },
  };
}

export function autoscaleToWire(a: AutoscaleConfig): WireAutoscale {
  return {
    max_partitions: a.maxPartitions,
    high_water: a.highWater,
    max_load: a.maxLoad,
    idle_after_ms: a.idleAfterMs,
    check_interval_ms: a.checkIntervalMs,
    partition_budget: {memory_bytes: a.partitionBudget.memoryBytes, cpu: a.partitionBudget.cpu},
  };
}

export function autoscaleFromWire(w: WireAutoscaleSpec): AutoscaleSpec {
  const out: AutoscaleSpec = {};
  if (w.max_partitions !== undefined) out.maxPartitions = w.max_partitions;
  if (w.high_water !== undefined) out.highWater = w.high_water;
  if (w.max_load !== undefined) out.maxLoad = w.max_load;
  if (w.idle_after_ms !== undefined) out.idleAfterMs = w.idle_after_ms;
  if (w.check_interval_ms !== undefined) out.checkIntervalMs = w.check_interval_ms;
  if (w.partition_budget) {
    out.partitionBudget = {};
    if (w.partition_budget.memory_bytes !== undefined) out.partitionBudget.memoryBytes = w.partition_budget.memory_bytes;
    if (w.partition_budget.cpu !== undefined) out.partitionBudget.cpu = w.partition_budget.cpu;
  }
  return out;
}
