import {DEAD_LETTER_TOPIC, SAGA_TOPIC} from './events.js';
import {MqClient, MqError} from './mq.js';
import {SERVICES, type ServiceName} from './service.js';

/** Each service is one queue group on the saga topic: every group gets every event once, shared by its workers. */
export const GROUPS: Record<ServiceName, string> = {inventory: 'flash-inventory', orders: 'flash-orders', payments: 'flash-payments'};

export interface TopologyOptions {
  partitions?: number;
  /** How long a worker holds an event before it goes to another (a killed worker's events come back after this). */
  leaseMs?: number;
  /** Deliveries before an event that keeps failing goes to the dead-letter topic. */
  maxDeliveries?: number;
}

/**
 * Creates the saga topic and the three queue groups if they are not there. The topic keeps message ids for 7 days
 * (the broker's maximum), so an event re-published after a crash is recognised as a duplicate and not written twice.
 */
export async function ensureTopology(client: MqClient, opts: TopologyOptions = {}): Promise<string[]> {
  const done: string[] = [];
  const created = await client.ensureTopic({name: SAGA_TOPIC, partitions: opts.partitions ?? 3, dedup_window_ms: 7 * 24 * 3600 * 1000});
  done.push(`topic ${SAGA_TOPIC} ${created ? 'created' : 'exists'}`);
  for (const service of SERVICES) {
    const spec = {name: GROUPS[service], topics: [SAGA_TOPIC], mode: 'queue' as const, from: 'earliest' as const, lease_ms: opts.leaseMs ?? 3000, max_deliveries: opts.maxDeliveries ?? 4};
    try {
      await client.createGroup(spec);
      done.push(`queue group ${spec.name} (lease ${spec.lease_ms} ms, dead letters to ${DEAD_LETTER_TOPIC} after ${spec.max_deliveries} deliveries)`);
    } catch (error) {
      // same name, other settings: keep the running group rather than fail a re-run of setup
      if (!(error instanceof MqError && error.code === 'GROUP_EXISTS')) throw error;
      done.push(`queue group ${spec.name} exists (kept its settings)`);
    }
  }
  return done;
}
