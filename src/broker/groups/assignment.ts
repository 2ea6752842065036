/** A topic-partition a group reads. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

export const tpId = (tp: TopicPartition): string => `${tp.topic}/${tp.partition}`;

/**
 * Round-robin assignment (as Kafka's RoundRobinAssignor): partitions sorted by topic then number, members sorted by
 * id, partition i to member i mod n. Deterministic, so every broker computes the same answer from the same inputs.
 */
export function roundRobin(partitions: readonly TopicPartition[], memberIds: readonly string[]): Map<string, string> {
  const members = [...memberIds].sort();
  const parts = [...partitions].sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  const out = new Map<string, string>();
  if (members.length === 0) return out;
  parts.forEach((tp, i) => out.set(tpId(tp), members[i % members.length]!));
  return out;
}

/**
 * Hand-over without two owners at once: a partition moves to its new member only once its previous owner has heard
 * of the new generation (any call it makes acknowledges it) or has left. Until then nobody reads it.
 */
export function settleOwners(
  owners: Map<string, string>,
  target: ReadonlyMap<string, string>,
  canRelease: (previousOwner: string) => boolean,
): void {
  for (const tp of [...owners.keys()]) if (!target.has(tp)) owners.delete(tp);
  for (const [tp, next] of target) {
    const prev = owners.get(tp);
    if (prev === next) continue;
    if (prev === undefined || canRelease(prev)) owners.set(tp, next);
  }
}
