import type {StatusModel} from '../observe/status-model.js';
import {formatRate} from '../tui/format.js';
import {c, formatBytes, formatDuration, table} from './output.js';

function stateColour(state: string): string {
  if (state === 'up') return c.green(state);
  if (state === 'unknown') return c.yellow(state);
  return c.red(state);
}

/** `mq status` for an lb (node.role 'lb'): its traffic and errors, then one row per upstream as it sees them. */
export function lbStatusText(s: StatusModel): string {
  const n = s.node;
  const lb = s.lb!;
  const p = s.process;
  const t = s.totals;
  const up = lb.upstreams.filter((u) => u.state === 'up').length;
  const lines = [
    `${c.bold('lb')}       ${n.url}  ${n.state === 'serving' ? c.green(n.state) : c.yellow(n.state)}  mq ${n.version}, up ${formatDuration(n.uptime_ms)}, ${lb.strategy}`,
    `${c.bold('upstreams')} ${up} of ${lb.upstreams.length} up${lb.discovery ? `, discovered from ${lb.discovery.sources.join(', ')}${lb.discovery.last_error ? c.yellow(` (last error: ${lb.discovery.last_error})`) : ''}` : ''}; checks every ${formatDuration(lb.health.interval_ms)}, down after ${lb.health.fall}, up after ${lb.health.rise}`,
    `${c.bold('requests')} ${lb.requests} (${lb.in_flight} in flight, ${s.streams.open} stream(s)), ${lb.retries} retried, ${lb.errors > 0 ? c.red(`${lb.errors} failed at the lb`) : '0 failed at the lb'}` +
      (lb.last_error ? c.dim(` (last: ${lb.last_error.message})`) : ''),
    `${c.bold('traffic')}  in ${formatRate(t.messages_in_per_s)} msg/s, ${formatBytes(Math.round(t.bytes_in_per_s))}/s in, ${formatBytes(Math.round(t.bytes_out_per_s))}/s out`,
    `${c.bold('process')}  pid ${p.pid}, rss ${formatBytes(p.rss_bytes)}, cpu ${(p.cpu_percent ?? 0).toFixed(1)}%, event-loop delay p99 ${p.event_loop_delay_p99_ms.toFixed(1)} ms, ${s.connections.open} connection(s)`,
    '',
  ];
  const rows: Array<Array<string | number | null>> = [['UPSTREAM', 'NODE', 'STATE', 'IN FLIGHT', 'STREAMS', 'REQUESTS', '5XX', 'FAILURES', 'RETRIED AWAY', 'P50 MS', 'P99 MS', 'LAST ERROR']];
  for (const u of lb.upstreams) {
    rows.push([u.url, u.node_id, stateColour(u.state), u.in_flight, u.open_streams, u.requests, u.responses['5xx'], u.failures, u.retried_away, u.latency_ms.p50, u.latency_ms.p99, u.last_error ?? '']);
  }
  lines.push(table(rows));
  return lines.join('\n');
}
