import type {MqClient} from '../client/index.js';
import {table} from './output.js';

export type ClusterView = Awaited<ReturnType<MqClient['cluster']>>;

/** `mq cluster status`: the members, the metadata leader, and how many partitions each broker holds and leads. */
export function clusterText(v: ClusterView): string {
  const held = new Map<number, number>();
  const led = new Map<number, number>();
  for (const p of v.partitions) {
    for (const id of p.replicas) held.set(id, (held.get(id) ?? 0) + 1);
    if (p.leader) led.set(p.leader, (led.get(p.leader) ?? 0) + 1);
  }
  const md = v.metadata;
  const head = [
    `cluster  ${v.cluster_id} (${v.mode}), version ${v.cluster_version}, seen from broker ${v.node_id}`,
    `metadata leader ${md.leader ?? 'none (no majority)'}, term ${md.term}, voters [${md.voters.join(', ')}]${md.learners.length ? `, learners [${md.learners.join(', ')}]` : ''}`,
    '',
  ];
  const rows = v.brokers.map((b) => [
    b.id,
    b.url ?? '-',
    b.leaving ? 'leaving' : b.status,
    b.last_seen_ms_ago === null ? '' : `${b.last_seen_ms_ago} ms`,
    held.get(b.id) ?? 0,
    led.get(b.id) ?? 0,
    b.version ?? '',
  ]);
  return head.join('\n') + table([['BROKER', 'URL', 'STATUS', 'LAST SEEN', 'REPLICAS', 'LEADS', 'VERSION'], ...rows]);
}
