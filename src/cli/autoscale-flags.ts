import {Flags} from '@oclif/core';
import type {WireAutoscaleSpec, WireTopicDescription} from '../protocol/wire.js';
import {UsageError} from './base-command.js';
import {parseBytes, parseDuration} from './duration.js';
import {formatBytes, formatDuration} from './output.js';

/** `mq topic create|update` flags for elastic partitions (the topic's `autoscale` option). */
export const autoscaleFlags = {
  'autoscale-max-partitions': Flags.integer({description: 'Autoscale: add partitions under load up to this many in all (turns autoscaling on).', min: 1}),
  'autoscale-high-water': Flags.string({description: 'Autoscale: add a partition when one passes this fraction of --autoscale-max-load (default 0.8).'}),
  'autoscale-max-load': Flags.integer({description: 'Autoscale: a partition\'s full load: unacked messages (queue groups) or lag (stream groups) (default 1000).', min: 1}),
  'autoscale-idle-after': Flags.string({description: 'Autoscale: drain and remove an added partition idle (empty or fully acked, unused) this long, e.g. 60s (default 60s).'}),
  'autoscale-check-interval': Flags.string({description: 'Autoscale: how often the load is checked, e.g. 5s (default 5s).'}),
  'autoscale-partition-memory': Flags.string({description: 'Autoscale: estimated memory per partition, against the brokers\' autoscaleMemoryBytes, e.g. 64MiB.'}),
  'autoscale-partition-cpu': Flags.string({description: 'Autoscale: estimated share of a core per partition, against the brokers\' autoscaleCpu, e.g. 0.25.'}),
};

export interface AutoscaleFlags {
  'autoscale-max-partitions'?: number;
  'autoscale-high-water'?: string;
  'autoscale-max-load'?: number;
  'autoscale-idle-after'?: string;
  'autoscale-check-interval'?: string;
  'autoscale-partition-memory'?: string;
  'autoscale-partition-cpu'?: string;
}

function number(flag: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag} expects a number, got ${JSON.stringify(raw)}`);
  return n;
}

/** The `autoscale` option from the flags given (undefined if none). */
export function autoscaleFromFlags(f: AutoscaleFlags): WireAutoscaleSpec | undefined {
  const a: WireAutoscaleSpec = {};
  if (f['autoscale-max-partitions'] !== undefined) a.max_partitions = f['autoscale-max-partitions'];
  if (f['autoscale-high-water'] !== undefined) a.high_water = number('autoscale-high-water', f['autoscale-high-water']);
  if (f['autoscale-max-load'] !== undefined) a.max_load = f['autoscale-max-load'];
  if (f['autoscale-idle-after'] !== undefined) a.idle_after_ms = parseDuration(f['autoscale-idle-after']);
  if (f['autoscale-check-interval'] !== undefined) a.check_interval_ms = parseDuration(f['autoscale-check-interval']);
  const memory = f['autoscale-partition-memory'];
  const cpu = f['autoscale-partition-cpu'];
  if (memory !== undefined || cpu !== undefined) {
    a.partition_budget = {};
    if (memory !== undefined) a.partition_budget.memory_bytes = parseBytes(memory);
    if (cpu !== undefined) a.partition_budget.cpu = number('autoscale-partition-cpu', cpu);
  }
  return Object.keys(a).length > 0 ? a : undefined;
}

/** Lines for `mq topic describe`: the settings, the partitions added or draining, the latest events. */
export function autoscaleText(d: WireTopicDescription): string[] {
  const a = d.autoscale;
  const lines: string[] = [];
  if (a) {
    lines.push(
      `autoscale    up to ${a.max_partitions} partitions at ${a.high_water} × ${a.max_load} per partition; idle ${formatDuration(a.idle_after_ms)}; check every ${formatDuration(a.check_interval_ms)}; ` +
        `${formatBytes(a.partition_budget.memory_bytes)} and ${a.partition_budget.cpu} CPU per partition`,
    );
  }
  if (d.autoscaled_partitions && d.autoscaled_partitions.length > 0) {
    const draining = new Set(d.draining_partitions ?? []);
    lines.push(`added        ${d.autoscaled_partitions.map((n) => (draining.has(n) ? `${n} (draining)` : String(n))).join(', ')}`);
  }
  for (const e of (d.autoscale_events ?? []).slice(-5)) lines.push(`  ${new Date(e.at).toISOString()} partition ${e.partition} ${e.kind}: ${e.reason}`);
  return lines;
}
