import {healthOf, type BrokerSnapshot} from '../observe/snapshots.js';
import {c, formatBytes, formatDuration, table} from './output.js';
import {formatRate, statusText} from './status-view.js';

/** `--json` with several URLs, --watch or --exit-when-healthy: one document per poll, the same shape every time. */
export function summaryJson(snapshots: readonly BrokerSnapshot[]) {
  const brokers = snapshots.map((s) => {
    const h = healthOf(s);
    return s.ok
      ? {url: s.url, reachable: true, healthy: h.healthy, problems: h.problems, warnings: h.warnings, latency_ms: s.latencyMs, status: s.status}
      : {url: s.url, reachable: false, healthy: false, problems: h.problems, warnings: h.warnings, error: s.error};
  });
  return {schema: 1, time: Date.now(), healthy: brokers.every((b) => b.healthy), brokers};
}

/** One line per URL, unreachable ones in red with the reason, then every broker's partitions and groups together. */
export function summaryText(snapshots: readonly BrokerSnapshot[], opts: {internal?: boolean} = {}): string {
  const reachable = snapshots.filter((s) => s.ok).length;
  const unhealthy = snapshots.filter((s) => !healthOf(s).healthy).length;
  const head = `${c.bold('cluster')}  ${reachable} of ${snapshots.length} broker(s) reachable, ${unhealthy === 0 ? c.green('all healthy') : c.red(`${unhealthy} unhealthy`)}`;
  const rows: Array<Array<string | number>> = [['', 'URL', 'NODE', 'STATE', 'VERSION', 'UP', 'IN/S', 'OUT/S', 'CPU', 'RSS', 'LOOP P99', 'CONNS']];
  const notes: string[] = [];
  for (const s of snapshots) {
    const h = healthOf(s);
    if (!s.ok) {
      rows.push([c.red('✗'), s.url, '-', c.red('UNREACHABLE'), '-', '-', '-', '-', '-', '-', '-', '-']);
      notes.push(c.red(`✗ ${s.url}: ${s.error.message}`));
      continue;
    }
    const st = s.status;
    rows.push([
      h.healthy ? c.green('✓') : c.red('✗'),
      s.url,
      st.node.role === 'lb' ? 'lb' : st.node.id,
      st.node.state === 'serving' ? c.green(st.node.state) : c.yellow(st.node.state),
      st.node.version,
      formatDuration(st.node.uptime_ms),
      formatRate(st.totals?.messages_in_per_s),
      formatRate(st.totals?.messages_out_per_s),
      `${(st.process.cpu_percent ?? 0).toFixed(1)}%`,
      formatBytes(st.process.rss_bytes),
      `${st.process.event_loop_delay_p99_ms.toFixed(1)} ms`,
      st.connections.open,
    ]);
    for (const p of h.problems) notes.push(c.red(`✗ ${s.url}: ${p}`));
    for (const w of h.warnings) notes.push(c.yellow(`! ${s.url}: ${w}`));
  }
  const parts: Array<Array<string | number | null>> = [['NODE', 'TOPIC', 'PARTITION', 'LEADER', 'IN SYNC', 'HIGH WATERMARK', 'MESSAGES', 'SIZE', 'IN/S', 'OUT/S']];
  const groups: Array<Array<string | number>> = [['NODE', 'GROUP', 'MODE', 'MEMBERS', 'LAG', 'IN FLIGHT', 'DEAD-LETTERED']];
  for (const s of snapshots) {
    if (!s.ok) continue;
    const node = s.status.node.id;
    for (const t of s.status.topics) {
      if (t.internal && !opts.internal) continue;
      for (const p of t.partitions) {
        parts.push([node, t.name, p.partition, p.leader, `${p.in_sync.length}/${p.replicas.length}`, p.high_watermark, p.messages, formatBytes(p.bytes), formatRate(p.rates?.messages_in_per_s), formatRate(p.rates?.messages_out_per_s)]);
      }
    }
    for (const g of s.status.groups) groups.push([node, g.name, g.mode, g.members, g.lag, g.in_flight ?? 0, g.dead_lettered ?? 0]);
  }
  const out = [head, '', table(rows)];
  if (notes.length) out.push('', ...notes);
  if (parts.length > 1) out.push('', table(parts));
  if (groups.length > 1) out.push('', table(groups));
  return out.join('\n');
}

/** One URL: the detailed view of that broker (or its error); several: the summary. */
export function snapshotsText(snapshots: readonly BrokerSnapshot[], opts: {internal?: boolean} = {}): string {
  const only = snapshots.length === 1 ? snapshots[0]! : undefined;
  if (only?.ok) {
    const h = healthOf(only);
    const notes = [...h.problems.map((p) => c.red(`✗ ${p}`)), ...h.warnings.map((w) => c.yellow(`! ${w}`))];
    return [statusText(only.status, opts), ...(notes.length ? ['', ...notes] : [])].join('\n');
  }
  return summaryText(snapshots, opts);
}
