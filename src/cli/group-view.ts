import type {WireGroup, WireGroupDescription} from '../protocol/wire.js';
import {c, formatDuration, table} from './output.js';

export function groupsTable(groups: Array<WireGroup & {generation: number; members: number}>): string {
  if (groups.length === 0) return c.dim('no consumer groups');
  return table([['GROUP', 'MODE', 'TOPICS', 'MEMBERS', 'GENERATION'], ...groups.map((g) => [g.name, g.mode, g.topics.join(','), g.members, g.generation])]);
}

interface QueueDescription {
  name: string;
  topics: string[];
  lease_ms: number;
  max_deliveries: number;
  dead_letter_topic: string | null;
  backlog: number;
  in_flight: number;
  partitions: Array<{topic: string; partition: number; acked_below: number; high_watermark: number; backlog: number; in_flight: number; waiting_redelivery: number; dead_lettered_since_start: number}>;
}

function queueText(d: QueueDescription): string {
  const head = [
    `${c.bold('group')}       ${d.name} (queue)`,
    `${c.bold('topics')}      ${d.topics.join(', ')}`,
    `${c.bold('leases')}      ${formatDuration(d.lease_ms)}, dead letter after ${d.max_deliveries} deliveries → ${d.dead_letter_topic ?? d.topics.map((t) => `${t}.dlq`).join(', ')}`,
    `${c.bold('backlog')}     ${d.backlog} waiting, ${d.in_flight} in flight`,
    '',
  ];
  const rows = d.partitions.map((p) => [p.topic, p.partition, p.acked_below, p.high_watermark, p.backlog, p.in_flight, p.waiting_redelivery, p.dead_lettered_since_start]);
  return head.join('\n') + table([['TOPIC', 'PARTITION', 'ACKED BELOW', 'HIGH WATERMARK', 'BACKLOG', 'IN FLIGHT', 'REDELIVERING', 'DEAD-LETTERED'], ...rows]);
}

export function groupText(d: WireGroupDescription): string {
  if (d.mode === 'queue') return queueText(d as unknown as QueueDescription);
  const head = [
    `${c.bold('group')}       ${d.name} (${d.mode}, from ${d.from} when nothing is committed)`,
    `${c.bold('topics')}      ${d.topics.join(', ')}`,
    `${c.bold('generation')}  ${d.generation}, session timeout ${formatDuration(d.session_timeout_ms)}`,
    `${c.bold('members')}     ${d.members.length === 0 ? 'none' : ''}`,
  ];
  for (const m of d.members) {
    head.push(`  ${m.member_id}${m.client_id ? ` (${m.client_id})` : ''}: ${m.assignment.map((a) => `${a.topic}/${a.partition}`).join(', ') || 'nothing assigned yet'}, seen ${m.last_seen_ms_ago} ms ago`);
  }
  head.push(`${c.bold('lag')}         ${d.lag}`, '');
  const rows = d.partitions.map((p) => [p.topic, p.partition, p.committed ?? '-', p.log_start_offset, p.high_watermark, p.lag, p.owner ?? '-']);
  return head.join('\n') + table([['TOPIC', 'PARTITION', 'COMMITTED', 'LOG START', 'HIGH WATERMARK', 'LAG', 'OWNER'], ...rows]);
}
