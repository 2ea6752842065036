import type {StatusModel} from '../observe/status.js';
import {formatRate} from '../tui/format.js';
import {lbStatusText} from './lb-status-view.js';
import {c, formatBytes, formatDuration, table} from './output.js';

export {formatRate};

function clusterColour(status: string | undefined): string {
  if (status === 'healthy') return c.green(status);
  if (status === 'unavailable') return c.red(status);
  return c.yellow(status ?? 'unknown');
}

/** `mq status` for one broker: node, cluster, storage durability, process, traffic, one row per partition and group. */
export function statusText(s: StatusModel, opts: {internal?: boolean} = {}): string {
  if (s.node.role === 'lb' && s.lb) return lbStatusText(s);
  const n = s.node;
  const st = s.storage;
  const p = s.process;
  const t = s.totals;
  const durable = st.synchronous === 'FULL' ? c.green('fsync before ack') : c.red(`UNSAFE synchronous=${st.synchronous}`);
  const cl = s.cluster;
  const brokers = cl.brokers ?? [];
  const window = t ? ` over the last ${formatDuration(t.window_ms)}` : '';
  const lines = [
    `${c.bold('broker')}   ${n.id} at ${n.url}  ${n.state === 'serving' ? c.green(n.state) : c.yellow(n.state)}  mq ${n.version} (format ${n.format_version}), up ${formatDuration(n.uptime_ms)}`,
    `${c.bold('cluster')}  ${cl.mode === 'single' ? 'single node' : `${brokers.filter((b) => b.status === 'active').length} of ${brokers.length} brokers active`}, ${clusterColour(cl.status)}, metadata leader ${cl.metadata_leader ?? 'none'}, ${cl.partitions?.total ?? 0} partitions`,
    `${c.bold('storage')}  ${st.kind} ${st.journal_mode}, ${durable}, ${st.fsyncs} commits, db ${formatBytes(st.db_bytes)} + wal ${formatBytes(st.wal_bytes)}`,
    `${c.bold('process')}  pid ${p.pid}, rss ${formatBytes(p.rss_bytes)}, heap ${formatBytes(p.heap_used_bytes)}, cpu ${(p.cpu_percent ?? 0).toFixed(1)}%, event-loop delay p99 ${p.event_loop_delay_p99_ms.toFixed(1)} ms, ${s.connections.open} connection(s)`,
  ];
  if (t) {
    lines.push(
      `${c.bold('traffic')}  in ${formatRate(t.messages_in_per_s)} msg/s (${formatBytes(Math.round(t.bytes_in_per_s))}/s), out ${formatRate(t.messages_out_per_s)} msg/s (${formatBytes(Math.round(t.bytes_out_per_s))}/s)${window}`,
    );
  }
  lines.push('');
  const rows: Array<Array<string | number | null>> = [['TOPIC', 'PARTITION', 'LEADER', 'LOG START', 'HIGH WATERMARK', 'MESSAGES', 'SIZE', 'IN', 'OUT', 'IN/S', 'OUT/S']];
  const hidden = s.topics.filter((topic) => topic.internal && !opts.internal).length;
  for (const topic of s.topics) {
    if (topic.internal && !opts.internal) continue;
    for (const part of topic.partitions) {
      rows.push([
        topic.name,
        part.partition,
        part.leader,
        part.log_start_offset,
        part.high_watermark,
        part.messages,
        formatBytes(part.bytes),
        part.messages_in,
        part.messages_out,
        formatRate(part.rates?.messages_in_per_s),
        formatRate(part.rates?.messages_out_per_s),
      ]);
    }
  }
  lines.push(rows.length > 1 ? table(rows) : c.dim('no topics yet: mq produce <topic> <value> creates one'));
  if (hidden > 0) lines.push(c.dim(`(${hidden} internal topic(s) not shown)`));
  if (s.groups.length > 0) {
    const g: Array<Array<string | number>> = [['GROUP', 'MODE', 'TOPICS', 'MEMBERS', 'LAG', 'IN FLIGHT', 'DEAD-LETTERED']];
    for (const grp of s.groups) g.push([grp.name, grp.mode, grp.topics.join(','), grp.members, grp.lag, grp.in_flight ?? 0, grp.dead_lettered ?? 0]);
    lines.push('', table(g));
  }
  return lines.join('\n');
}
