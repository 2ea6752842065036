import type {BrokerSnapshot} from '../observe/snapshots.js';
import {autoscaleMark} from './autoscale-events.js';
import {brokerKey, groupKey, partitionKey, type History} from './history.js';
import {formatBytes, formatDuration, formatRate} from './format.js';
import {sparkline} from './sparkline.js';

/**
 * What each `mq top` view shows, as plain data: columns and rows of text, already sorted. The components only lay
 * them out, so all of this is tested without a terminal.
 */

export type ViewId = 'brokers' | 'topics' | 'groups';
export const VIEWS: readonly ViewId[] = ['brokers', 'topics', 'groups'];
export const VIEW_TITLES: Record<ViewId, string> = {brokers: 'Brokers', topics: 'Topics', groups: 'Groups'};

/** The sort keys `s` cycles through, per view; the first is the default. */
export const SORTS: Record<ViewId, readonly string[]> = {
  brokers: ['url', 'in/s', 'cpu'],
  topics: ['name', 'in/s', 'lag', 'messages'],
  groups: ['name', 'lag', 'in flight'],
};

export type Colour = 'red' | 'green' | 'yellow' | 'cyan' | 'gray';

export interface Cell {
  text: string;
  color?: Colour;
}

export interface Column {
  title: string;
  align: 'left' | 'right';
  /** Narrow terminals drop the columns with the highest numbers first. */
  priority: number;
}

export interface TableModel {
  columns: Column[];
  rows: Cell[][];
}

interface Row {
  cells: Cell[];
  keys: Record<string, string | number>;
}

const col = (title: string, priority: number, align: 'left' | 'right' = 'right'): Column => ({title, align, priority});
const t = (text: string | number, color?: Colour): Cell => ({text: String(text), color});

/** Numbers sort high first (the busiest on top); names sort alphabetically. */
function sortRows(rows: Row[], key: string): Cell[][] {
  return [...rows]
    .sort((a, b) => {
      const x = a.keys[key];
      const y = b.keys[key];
      if (typeof x === 'number' && typeof y === 'number' && x !== y) return y - x;
      return String(a.keys.name ?? '').localeCompare(String(b.keys.name ?? ''));
    })
    .map((r) => r.cells);
}

export function brokersTable(snaps: readonly BrokerSnapshot[], history: History, sort: string, sparkWidth: number): TableModel {
  // a RESTARTS column when a supervisor (mq up) runs these nodes
  const supervised = snaps.some((s) => s.restarts !== undefined);
  const restarts = (s: BrokerSnapshot): Cell[] => (supervised ? [t(s.restarts ?? '-', (s.restarts ?? 0) > 0 ? 'yellow' : undefined)] : []);
  const columns = [col('', 0, 'left'), col('URL', 0, 'left'), col('NODE', 1), col('STATE', 0, 'left'), col('IN/S', 0), col('TREND', 3, 'left'), col('OUT/S', 1), col('CPU', 2), col('RSS', 2), col('LOOP P99', 3), col('CONNS', 4), col('FSYNCS', 5), col('UP', 4), ...(supervised ? [col('RESTARTS', 2)] : []), col('VERSION', 6, 'left')];
  const rows: Row[] = snaps.map((s) => {
    if (!s.ok) {
      return {cells: [t('✗', 'red'), t(s.url), t('-'), t('UNREACHABLE', 'red'), t('-'), t(sparkline(history.get(brokerKey(s.url)) ?? [], sparkWidth), 'gray'), t('-'), t('-'), t('-'), t('-'), t('-'), t('-'), t('-'), ...restarts(s), t('-')], keys: {name: s.url, url: s.url, 'in/s': -1, cpu: -1}};
    }
    const st = s.status;
    const serving = st.node.state === 'serving';
    return {
      cells: [
        serving ? t('●', 'green') : t('●', 'yellow'),
        t(s.url),
        t(st.node.role === 'lb' ? 'lb' : st.node.id),
        t(st.node.state, serving ? 'green' : 'yellow'),
        t(formatRate(st.totals?.messages_in_per_s)),
        t(sparkline(history.get(brokerKey(s.url)) ?? [], sparkWidth), 'cyan'),
        t(formatRate(st.totals?.messages_out_per_s)),
        t(`${(st.process.cpu_percent ?? 0).toFixed(1)}%`),
        t(formatBytes(st.process.rss_bytes)),
        t(`${st.process.event_loop_delay_p99_ms.toFixed(1)}ms`),
        t(st.connections.open),
        t(st.storage.fsyncs),
        t(formatDuration(st.node.uptime_ms)),
        ...restarts(s),
        t(st.node.version),
      ],
      keys: {name: s.url, url: s.url, 'in/s': st.totals?.messages_in_per_s ?? 0, cpu: st.process.cpu_percent ?? 0},
    };
  });
  return {columns, rows: sortRows(rows, sort)};
}

export function topicsTable(snaps: readonly BrokerSnapshot[], history: History, sort: string, sparkWidth: number, opts: {internal?: boolean} = {}): TableModel {
  // a NODE column only when rows come from more than one broker
  const several = snaps.filter((s) => s.ok).length > 1;
  const columns = [
    ...(several ? [col('NODE', 2)] : []),
    col('TOPIC/PARTITION', 0, 'left'),
    col('LEADER', 3),
    col('ISR', 4),
    col('HIGH WM', 2),
    col('MESSAGES', 1),
    col('SIZE', 3),
    col('IN/S', 0),
    col('TREND', 1, 'left'),
    col('OUT/S', 0),
    col('BYTES IN/S', 4),
    col('LAG', 0),
  ];
  const rows: Row[] = [];
  for (const s of snaps) {
    if (!s.ok) continue;
    const lag = new Map<string, number>();
    for (const g of s.status.groups) for (const p of g.partitions ?? []) lag.set(`${p.topic}/${p.partition}`, (lag.get(`${p.topic}/${p.partition}`) ?? 0) + p.lag);
    for (const topic of s.status.topics) {
      if (topic.internal && !opts.internal) continue;
      for (const p of topic.partitions) {
        const name = `${topic.name}/${p.partition}`;
        const l = lag.get(name) ?? 0;
        const inRate = p.rates?.messages_in_per_s ?? 0;
        rows.push({
          cells: [
            ...(several ? [t(s.status.node.id)] : []),
            t(name + autoscaleMark(topic.autoscale, p.partition)),
            p.leader === null ? t('none', 'red') : t(p.leader),
            t(`${p.in_sync.length}/${p.replicas.length}`, p.in_sync.length < p.replicas.length ? 'yellow' : undefined),
            t(p.high_watermark),
            t(p.messages),
            t(formatBytes(p.bytes)),
            t(formatRate(inRate), inRate > 0 ? 'green' : undefined),
            t(sparkline(history.get(partitionKey(s.url, topic.name, p.partition)) ?? [], sparkWidth), 'cyan'),
            t(formatRate(p.rates?.messages_out_per_s)),
            t(`${formatBytes(Math.round(p.rates?.bytes_in_per_s ?? 0))}/s`),
            t(l, l > 0 ? 'yellow' : undefined),
          ],
          keys: {name: `${name}@${s.url}`, 'in/s': inRate, lag: l, messages: p.messages},
        });
      }
    }
  }
  return {columns, rows: sortRows(rows, sort)};
}

export function groupsTable(snaps: readonly BrokerSnapshot[], history: History, sort: string, sparkWidth: number): TableModel {
  // a NODE column only when rows come from more than one broker
  const several = snaps.filter((s) => s.ok).length > 1;
  const columns = [...(several ? [col('NODE', 2)] : []), col('GROUP', 0, 'left'), col('MODE', 1, 'left'), col('TOPICS', 3, 'left'), col('MEMBERS', 1), col('LAG', 0), col('LAG TREND', 2, 'left'), col('IN FLIGHT', 0), col('REDELIVERY', 3), col('DEAD', 1)];
  const rows: Row[] = [];
  for (const s of snaps) {
    if (!s.ok) continue;
    for (const g of s.status.groups) {
      rows.push({
        cells: [
          ...(several ? [t(s.status.node.id)] : []),
          t(g.name),
          t(g.mode),
          t(g.topics.join(',')),
          t(g.members),
          t(g.lag, g.lag > 0 ? 'yellow' : undefined),
          t(sparkline(history.get(groupKey(s.url, g.name)) ?? [], sparkWidth), 'cyan'),
          t(g.in_flight ?? 0),
          t(g.waiting_redelivery ?? 0),
          t(g.dead_lettered ?? 0, (g.dead_lettered ?? 0) > 0 ? 'red' : undefined),
        ],
        keys: {name: `${g.name}@${s.url}`, lag: g.lag, 'in flight': g.in_flight ?? 0},
      });
    }
  }
  return {columns, rows: sortRows(rows, sort)};
}

/**
 * Fits a table to `width`: computes each column's width from its contents and drops the least important columns
 * until the row fits (two spaces between columns). Returns the kept column indexes and their widths.
 */
export function fitColumns(model: TableModel, width: number): Array<{index: number; width: number}> {
  const widths = model.columns.map((c, i) => Math.max(c.title.length, ...model.rows.map((r) => [...(r[i]?.text ?? '')].length)));
  let kept = model.columns.map((_, i) => i);
  const total = (): number => kept.reduce((n, i) => n + widths[i]!, 0) + 2 * Math.max(0, kept.length - 1);
  while (total() > width && kept.length > 1) {
    const worst = kept.reduce((a, b) => (model.columns[b]!.priority >= model.columns[a]!.priority ? b : a));
    if (model.columns[worst]!.priority === 0) break;
    kept = kept.filter((i) => i !== worst);
  }
  return kept.map((index) => ({index, width: widths[index]!}));
}
