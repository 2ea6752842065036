import {sleep} from '../../../src/bench/local-cluster.js';
import type {ChaosCluster} from '../lib/chaos-cluster.js';
import type {Http} from '../lib/http.js';
import type {FinalLog, ReadMessage, ReplicaDump} from '../lib/model.js';
import {toReadMessages} from './log.js';

/** Waits (up to `timeoutMs`) until every partition of the topic has a leader and all replicas report one high watermark. */
export async function converge(cluster: ChaosCluster, http: Http, topic: string, partitions: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    let ok = true;
    for (let p = 0; p < partitions && ok; p++) {
      const hws = new Set<number>();
      let leader = false;
      for (const id of cluster.live()) {
        const r = await http.request(cluster.directUrl(id)!, 'GET', `/v1/debug/replica/${topic}/${p}?max_messages=1`, {timeoutMs: 2000});
        if (r.type !== 'ok') {
          ok = false;
          break;
        }
        hws.add(r.body.high_watermark);
        if (r.body.role === 'leader') leader = true;
      }
      ok = ok && leader && hws.size === 1;
    }
    if (ok) return true;
    await sleep(200);
  }
  return false;
}

/** Every committed message of a partition, read through one broker's fetch API page by page (or why it could not). */
export async function readAll(http: Http, url: string, topic: string, partition: number, headers: Record<string, string> = {}): Promise<{messages: ReadMessage[]} | {error: string}> {
  const out: ReadMessage[] = [];
  for (let offset = 0; ; ) {
    const r = await http.request(url, 'GET', `/v1/topics/${topic}/partitions/${partition}/messages?offset=${offset}&max_messages=5000`, {headers, timeoutMs: 10_000});
    if (r.type !== 'ok') return {error: r.error?.code ?? 'ERROR'};
    out.push(...toReadMessages(r.body.messages));
    if (r.body.messages.length === 0 || r.body.next_offset >= r.body.high_watermark) return {messages: out};
    offset = r.body.next_offset;
  }
}

/**
 * The last word on a topic once every fault is healed: the committed log through its leader, and every replica's
 * whole log through the debug read (never forwarded).
 */
export async function finalLog(cluster: ChaosCluster, http: Http, topic: string, partitions: number, convergeMs: number): Promise<FinalLog & {converged: boolean}> {
  const converged = await converge(cluster, http, topic, partitions, convergeMs);
  const committed = new Map<number, ReadMessage[]>();
  const replicas: ReplicaDump[] = [];
  let complete = true;
  for (let p = 0; p < partitions; p++) {
    const leader = await cluster.leaderOf(topic, p);
    const via = cluster.directUrl(leader || cluster.live()[0]!);
    const read = via ? await readAll(http, via, topic, p) : undefined;
    if (read && 'messages' in read) committed.set(p, read.messages);
    else complete = false;
    for (const id of cluster.live()) {
      try {
        const r = await cluster.local.replica(id, topic, p);
        replicas.push({node: id, partition: p, hw: r.high_watermark, logStart: (r as {log_start_offset?: number}).log_start_offset ?? 0, nextOffset: r.next_offset, messages: r.messages});
      } catch {
        // no replica here (or unreachable): nothing to compare
      }
    }
  }
  const rf = Math.max(1, ...Array.from({length: partitions}, (_, p) => replicas.filter((r) => r.partition === p).length));
  return {committed, replicas, replicationFactor: Math.min(3, Math.max(rf, cluster.ids.length)), complete, converged};
}
