import {Autoscaler} from '../autoscaler.js';
import type {Broker} from '../broker.js';
import type {GroupCoordinator} from '../groups/index.js';
import {CallbackDispatcher} from './callbacks.js';
import {QueueService, type QueueOp} from './queue-service.js';
import {Receipts} from './receipts.js';
import {outboxStore} from './outbox.js';
import type {PartitionLog} from '../partition.js';

export {QueueService, type Delivery, type ConfirmOutcome} from './queue-service.js';
export {RECEIPTS_TOPIC, type Receipt} from './receipts.js';
export {dlqTopicName, redriveId} from './dead-letter.js';

export interface Queues {
  service: QueueService;
  receipts: Receipts;
  callbacks: CallbackDispatcher;
  /** Elastic partitions of autoscaled topics (their load is the queue groups' backlog). */
  autoscaler: Autoscaler;
  /** Queue groups reading a topic (for await=processed and until_acked retention). */
  groupsOn(topic: string): string[];
  stop(): void;
}

const SWEEP_MS = 200;

/** Wires work queues into a broker (the metadata leader creates the receipts topic): the queue service, the dead-letter mover, the lease sweeper. */
export function createQueues(broker: Broker, coordinator: GroupCoordinator): Queues {
  const receipts = new Receipts(broker);
  const service = new QueueService(broker, receipts, (g) => coordinator.definition(g));
  const hooks = broker.topics.hooks;
  hooks.applyQueueOp = (log, op, scope) => service.log.apply(log, op as QueueOp, scope);
  hooks.leadership = (log) => service.leadershipChanged(log);
  hooks.restoring = (log) => service.log.applier.invalidate(log.pid);
  hooks.restored = (log) => service.dropViews(log);
  const callbacks = new CallbackDispatcher(broker, receipts);
  callbacks.start();
  broker.groups.admin.onQueueDeleted = (group, topics) => {
    for (const t of topics) {
      for (const log of broker.topics.get(t)?.partitions.values() ?? []) {
        broker.store.dropQueueGroup(log.pid, group);
        service.log.applier.invalidate(log.pid, group);
      }
    }
    service.forget(group);
  };
  const queueGroups = (): string[] => [...coordinator.store.groups.values()].filter((g) => g.def.mode === 'queue').map((g) => g.def.name);
  const sweeper = setInterval(() => {
    for (const g of queueGroups()) {
      try {
        service.sweep(g);
      } catch (err) {
        broker.logger.warn({err, group: g}, 'lease sweep failed');
      }
    }
    service.log.outbox.tick();
  }, SWEEP_MS);
  sweeper.unref();
  const groupsOn = (topic: string): string[] => queueGroups().filter((g) => coordinator.definition(g).topics.includes(topic));
  const relaysPending = (log: PartitionLog): boolean => outboxStore.list(broker.store, log.pid, 1).length > 0;
  const autoscaler = new Autoscaler(broker, {queues: service, coordinator, admin: broker.groups.admin, queueGroupsOn: groupsOn, relaysPending});
  autoscaler.start();
  return {
    service,
    receipts,
    callbacks,
    autoscaler,
    groupsOn,
    stop: () => {
      clearInterval(sweeper);
      autoscaler.stop();
      callbacks.stopAll();
    },
  };
}
