import type {StatusModel} from '../observe/status.js';
import {c, formatBytes, formatDuration, table} from './output.js';

/** `mq status` as text: the node, storage durability, and one row per partition. */
export function statusText(s: StatusModel): string {
  const n = s.node;
  const st = s.storage;
  const p = s.process;
  const durable = st.synchronous === 'FULL' ? c.green('fsync before ack') : c.red(`UNSAFE synchronous=${st.synchronous}`);
  const lines = [
    `${c.bold('broker')}   ${n.id} at ${n.url}  ${n.state === 'serving' ? c.green(n.state) : c.yellow(n.state)}  mq ${n.version} (format ${n.format_version}), up ${formatDuration(n.uptime_ms)}`,
    `${c.bold('storage')}  ${st.kind} ${st.journal_mode}, ${durable}, ${st.fsyncs} commits, db ${formatBytes(st.db_bytes)} + wal ${formatBytes(st.wal_bytes)}`,
    `${c.bold('process')}  pid ${p.pid}, rss ${formatBytes(p.rss_bytes)}, event-loop delay p99 ${p.event_loop_delay_p99_ms.toFixed(1)} ms, ${s.connections.open} connection(s)`,
    '',
  ];
  const rows: Array<Array<string | number>> = [['TOPIC', 'PARTITION', 'LEADER', 'LOG START', 'HIGH WATERMARK', 'MESSAGES', 'SIZE', 'IN', 'OUT']];
  for (const t of s.topics) {
    for (const part of t.partitions) {
      rows.push([t.name, part.partition, part.leader, part.log_start_offset, part.high_watermark, part.messages, formatBytes(part.bytes), part.messages_in, part.messages_out]);
    }
  }
  lines.push(rows.length > 1 ? table(rows) : c.dim('no topics yet: mq produce <topic> <value> creates one'));
  return lines.join('\n');
}
