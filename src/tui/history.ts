import type {BrokerSnapshot} from '../observe/snapshots.js';

/** Recent readings per series, oldest first: what the sparklines draw. Keys come from the functions below. */
export type History = ReadonlyMap<string, readonly number[]>;

export const HISTORY_MAX = 60;

export const brokerKey = (url: string): string => `${url}|`;
export const topicKey = (url: string, topic: string): string => `${url}|t:${topic}`;
export const partitionKey = (url: string, topic: string, partition: number): string => `${url}|p:${topic}/${partition}`;
export const groupKey = (url: string, group: string): string => `${url}|g:${group}`;

/**
 * A new history with one more reading per series from this poll: messages in per second for brokers, topics and
 * partitions, lag for groups. Series that are gone (a deleted topic) are dropped; an unreachable broker keeps its
 * series unchanged, so the sparkline shows the last known shape. Pure: the data hook keeps the result as state.
 */
export function appendHistory(prev: History, snapshots: readonly BrokerSnapshot[], max = HISTORY_MAX): History {
  const next = new Map<string, readonly number[]>();
  const push = (key: string, v: number): void => {
    const old = prev.get(key) ?? [];
    next.set(key, [...(old.length >= max ? old.slice(old.length - max + 1) : old), v]);
  };
  for (const s of snapshots) {
    if (!s.ok) {
      for (const [k, v] of prev) if (k.startsWith(brokerKey(s.url))) next.set(k, v);
      continue;
    }
    push(brokerKey(s.url), s.status.totals?.messages_in_per_s ?? 0);
    for (const t of s.status.topics) {
      push(topicKey(s.url, t.name), t.rates?.messages_in_per_s ?? 0);
      for (const p of t.partitions) push(partitionKey(s.url, t.name, p.partition), p.rates?.messages_in_per_s ?? 0);
    }
    for (const g of s.status.groups) push(groupKey(s.url, g.name), g.lag);
  }
  return next;
}
