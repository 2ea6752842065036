import type {WireGroup, WireGroupDescription} from '../protocol/wire.js';
import {c, formatDuration, table} from './output.js';

export function groupsTable(groups: Array<WireGroup & {generation: number; members: number}>): string {
  if (groups.length === 0) return c.dim('no consumer groups');
  return table([['GROUP', 'MODE', 'TOPICS', 'MEMBERS', 'GENERATION'], ...groups.map((g) => [g.name, g.mode, g.topics.join(','), g.members, g.generation])]);
}

export function groupText(d: WireGroupDescription): string {
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
