import type {TopicRecord} from '../broker/topic-config.js';
import type {TopicAutoscaleStatus} from './status-model.js';

/** A topic's elastic partitions for /status; undefined on topics that never autoscaled (the field is left out). */
export function autoscaleStatus(r: TopicRecord): {autoscale?: TopicAutoscaleStatus} {
  const added = r.partitions.filter((p) => p.autoscaled);
  if (!r.config.autoscale && added.length === 0) return {};
  return {
    autoscale: {
      max_partitions: r.config.autoscale?.maxPartitions ?? null,
      base: r.base,
      added: added.map((p) => p.number),
      draining: added.filter((p) => p.draining).map((p) => p.number),
      events: r.autoscaleEvents ?? [],
    },
  };
}
