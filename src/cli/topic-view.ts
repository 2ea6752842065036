import type {WireRetention, WireTopic, WireTopicCreate, WireTopicDescription} from '../protocol/wire.js';
import {autoscaleFromFlags, autoscaleText, type AutoscaleFlags} from './autoscale-flags.js';
import {parseBytes, parseDuration} from './duration.js';
import {c, formatBytes, formatDuration, table} from './output.js';

export interface RetentionFlags {
  'retention-messages'?: number;
  'retention-bytes'?: string;
  'retention-age'?: string;
  'dedup-window'?: string;
  'retention-until-acked'?: boolean;
}

/** "none" clears a retention limit; anything else sets it. */
export function retentionFromFlags(f: RetentionFlags): Partial<WireRetention> | undefined {
  const r: Partial<WireRetention> = {};
  if (f['retention-messages'] !== undefined) r.max_messages = f['retention-messages'] === 0 ? null : f['retention-messages'];
  if (f['retention-bytes'] !== undefined) r.max_bytes = f['retention-bytes'] === 'none' ? null : parseBytes(f['retention-bytes']);
  if (f['retention-age'] !== undefined) r.max_age_ms = f['retention-age'] === 'none' ? null : parseDuration(f['retention-age']);
  if (f['retention-until-acked'] !== undefined) r.until_acked = f['retention-until-acked'];
  return Object.keys(r).length ? r : undefined;
}

export function dedupFromFlags(f: RetentionFlags): number | undefined {
  return f['dedup-window'] === undefined ? undefined : parseDuration(f['dedup-window']);
}

export function createSpec(name: string, f: RetentionFlags & AutoscaleFlags & {partitions?: number; 'replication-factor'?: number}): WireTopicCreate {
  const spec: WireTopicCreate = {name};
  if (f.partitions !== undefined) spec.partitions = f.partitions;
  if (f['replication-factor'] !== undefined) spec.replication_factor = f['replication-factor'];
  const retention = retentionFromFlags(f);
  if (retention) spec.retention = retention;
  const dedup = dedupFromFlags(f);
  if (dedup !== undefined) spec.dedup_window_ms = dedup;
  const autoscale = autoscaleFromFlags(f);
  if (autoscale) spec.autoscale = autoscale;
  return spec;
}

function retentionText(r: WireRetention): string {
  const parts = [
    r.until_acked ? 'until acked' : '',
    r.max_messages !== null ? `${r.max_messages} messages` : '',
    r.max_bytes !== null ? formatBytes(r.max_bytes) : '',
    r.max_age_ms !== null ? formatDuration(r.max_age_ms) : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'unlimited';
}

export function topicsTable(topics: WireTopic[]): string {
  if (topics.length === 0) return c.dim('no topics');
  return table([['TOPIC', 'PARTITIONS', 'REPLICATION', 'RETENTION', 'DEDUP WINDOW'], ...topics.map((t) => [t.name, t.partitions, t.replication_factor, retentionText(t.retention), formatDuration(t.dedup_window_ms)])]);
}

export function describeText(d: WireTopicDescription): string {
  const head = [
    `${c.bold('topic')}        ${d.name}`,
    `${c.bold('partitions')}   ${d.partitions} (keys hash over ${d.base_partitions.join(', ')})`,
    `${c.bold('replication')}  ${d.replication_factor}`,
    `${c.bold('retention')}    ${retentionText(d.retention)}`,
    `${c.bold('dedup window')} ${formatDuration(d.dedup_window_ms)}`,
    `${c.bold('messages')}     ${d.messages} (${formatBytes(d.bytes)})`,
    ...autoscaleText(d),
    '',
  ].join('\n');
  const rows = d.partition_details.map((p) => [p.partition, p.leader, p.term, p.log_start_offset, p.high_watermark, p.messages, formatBytes(p.bytes)]);
  return head + table([['PARTITION', 'LEADER', 'TERM', 'LOG START', 'HIGH WATERMARK', 'MESSAGES', 'SIZE'], ...rows]);
}
