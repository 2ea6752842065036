import {MqError} from '../../errors.js';
import type {QueueRow} from '../../storage/index.js';
import type {Broker} from '../broker.js';
import type {PartitionLog} from '../partition.js';
import {DEDUP_WINDOW_MS_MAX, type TopicRecord} from '../topic-config.js';
import type {QueueService} from './queue-service.js';

const RETRY_MS = 1000;

interface Pending {
  group: string;
  log: PartitionLog;
  offset: number;
  row: QueueRow;
}

export const dlqTopicName = (topic: string): string => `${topic}.dlq`;
export const dlqMessageId = (group: string, topic: string, partition: number, offset: number): string => `dlq/${group}/${topic}/${partition}/${offset}`;

/**
 * Moves messages that ran out of deliveries to the dead-letter topic, exactly once: the copy's id is derived from
 * where the message came from (`dlq/<group>/<topic>/<partition>/<offset>`), so the dead-letter topic's
 * de-duplication absorbs a repeat after a crash between writing the copy and recording the message as dead. The copy
 * keeps key, value, headers and priority, and gains headers saying where it came from and why.
 */
export class DeadLetterMover {
  private readonly queue: Pending[] = [];
  private running = false;
  moved = 0;

  constructor(
    private readonly broker: Broker,
    private readonly service: QueueService,
  ) {
    service.onDeadPending = (group, log, offset, row) => this.enqueue({group, log, offset, row});
  }

  enqueue(p: Pending): void {
    this.queue.push(p);
    void this.run();
  }

  get pending(): number {
    return this.queue.length;
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.broker.isClosing) {
        const p = this.queue[0]!;
        try {
          await this.move(p);
          this.queue.shift();
          this.moved++;
        } catch (err) {
          this.broker.logger.warn({err, group: p.group, topic: p.log.topic, partition: p.log.number, offset: p.offset}, 'dead-letter move failed; retrying');
          await new Promise((r) => setTimeout(r, RETRY_MS));
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async ensureTopic(name: string, source: TopicRecord): Promise<void> {
    await this.broker.ensureTopic({
      name,
      partitions: source.base.length,
      replicationFactor: source.config.replicationFactor,
      retention: {...source.config.retention, untilAcked: false},
      dedupWindowMs: DEDUP_WINDOW_MS_MAX,
    });
  }

  private async move(p: Pending): Promise<void> {
    const settings = this.service.settings(p.group);
    const source = this.broker.topics.mustGet(p.log.topic).record;
    const target = settings.deadLetterTopic ?? dlqTopicName(p.log.topic);
    const m = p.log.read(p.offset, {maxMessages: 1, maxBytes: 1})[0];
    const message = m && m.offset === p.offset ? m : undefined;
    if (message) {
      await this.ensureTopic(target, source);
      const headers: Record<string, string> = {
        ...(message.headers ? (JSON.parse(message.headers) as Record<string, string>) : {}),
        'mq-dlq-topic': p.log.topic,
        'mq-dlq-partition': String(p.log.number),
        'mq-dlq-offset': String(p.offset),
        'mq-dlq-group': p.group,
        'mq-dlq-deliveries': String(p.row.deliveries),
        'mq-dlq-error': p.row.error ?? 'lease expired',
        ...(message.id !== null ? {'mq-dlq-original-id': message.id} : {}),
      };
      const [r] = await this.broker.produce(target, [
        {
          id: dlqMessageId(p.group, p.log.topic, p.log.number, p.offset),
          key: message.key,
          producer: message.producer,
          priority: message.priority,
          headers: JSON.stringify(headers),
          valueType: message.valueType,
          value: message.value,
          notBefore: 0,
        },
      ]);
      // ID_CONFLICT: an earlier attempt wrote this copy already (its headers, e.g. the delivery count, may differ
      // after a change of leader): it is moved, exactly once
      if (r && 'error' in r && r.error.code !== 'ID_CONFLICT') throw r.error;
    }
    await this.service.markDead(p.group, p.log, p.offset, p.row, message);
  }
}

/** The id a redriven message gets: `<id>:redrive:<n>`, counting earlier redrives of the same original. */
export function redriveId(originalId: string | undefined, fallback: string): string {
  if (!originalId) return `${fallback}:redrive:1`;
  const m = /^(.*):redrive:(\d+)$/.exec(originalId);
  return m ? `${m[1]}:redrive:${Number(m[2]) + 1}` : `${originalId}:redrive:1`;
}

export function requireQueueTopic(name: string): void {
  if (name.endsWith('.dlq')) throw new MqError('INVALID_CONFIG', `${name} is a dead-letter topic; redrive its source topic instead`);
}
