/**
 * Where a partition's replicas go: `rf` consecutive brokers (in id order) starting at pid mod n. Partition ids grow
 * across the whole cluster, so consecutive partitions (of one topic or of several) start on different brokers, and
 * the first replica, the preferred leader, rotates over all of them: leaders spread evenly.
 */
export function placeReplicas(brokerIds: readonly number[], pid: number, rf: number): number[] {
  const n = brokerIds.length;
  if (n === 0) throw new Error('placement: no brokers');
  const k = Math.min(rf, n);
  const start = pid % n;
  return Array.from({length: k}, (_, i) => brokerIds[(start + i) % n]!);
}
