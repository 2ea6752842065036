import type {BrokerSnapshot} from '../observe/snapshots.js';

/** How an autoscaled partition is marked in the topics view: added by the autoscaler, or on its way out. */
export function autoscaleMark(autoscale: {added: number[]; draining: number[]} | undefined, partition: number): string {
  if (!autoscale) return '';
  if (autoscale.draining.includes(partition)) return ' (draining)';
  return autoscale.added.includes(partition) ? ' +' : '';
}

/**
 * The latest autoscaler events over every topic, newest first, as text lines for the topics view (each topic's
 * record is the same on every broker: the first snapshot that has it is enough).
 */
export function autoscaleEventLines(snaps: readonly BrokerSnapshot[], max: number): string[] {
  const seen = new Set<string>();
  const events: Array<{at: number; text: string}> = [];
  for (const s of snaps) {
    if (!s.ok) continue;
    for (const topic of s.status.topics) {
      if (!topic.autoscale || seen.has(topic.name)) continue;
      seen.add(topic.name);
      for (const e of topic.autoscale.events) {
        events.push({at: e.at, text: `${new Date(e.at).toISOString().slice(11, 19)} ${topic.name}/${e.partition} ${e.kind}: ${e.reason}`});
      }
    }
  }
  return events
    .sort((a, b) => b.at - a.at)
    .slice(0, max)
    .map((e) => e.text);
}
