import {Args, Flags} from '@oclif/core';
import {autoscaleFlags} from '../../src/cli/autoscale-flags.js';
import {MqCommand, connectionFlags} from '../../src/cli/base-command.js';
import {createSpec, describeText} from '../../src/cli/topic-view.js';

export const retentionFlags = {
  'retention-messages': Flags.integer({description: 'Keep at most this many messages per partition (0: no limit).', min: 0}),
  'retention-bytes': Flags.string({description: 'Keep at most this many value bytes per partition, e.g. 1GiB ("none": no limit).'}),
  'retention-age': Flags.string({description: 'Delete messages older than this, e.g. 7d ("none": no limit).'}),
  'dedup-window': Flags.string({description: 'How long a message id is remembered for de-duplication, e.g. 2m (0: off).'}),
  'retention-until-acked': Flags.boolean({description: 'Work queues: keep each message until every queue group acked it; --retention-messages/bytes become a capacity (producers get TOPIC_FULL).', allowNo: true}),
};

export default class TopicCreate extends MqCommand {
  static override summary = 'Create a topic.';
  static override examples = [
    {description: 'The seed\'s orders topic with two partitions', command: '<%= config.bin %> topic create orders --partitions 2'},
    {description: 'Keep the last 1000 messages per partition', command: '<%= config.bin %> topic create events --retention-messages 1000'},
    {description: 'Keep a week, at most 10 GiB per partition', command: '<%= config.bin %> topic create logs --retention-age 7d --retention-bytes 10GiB'},
    {description: 'A work queue that grows to 8 partitions under load and shrinks back when idle', command: '<%= config.bin %> topic create jobs --autoscale-max-partitions 8 --autoscale-max-load 1000'},
  ];

  static override args = {name: Args.string({description: 'Topic name: [A-Za-z0-9._-], up to 196 characters.', required: true, ignoreStdin: true})};
  static override flags = {
    partitions: Flags.integer({char: 'p', description: 'Number of partitions (default 1).', min: 1}),
    'replication-factor': Flags.integer({description: 'Copies of each partition (default min(3, brokers)).', min: 1}),
    ...retentionFlags,
    ...autoscaleFlags,
    ...connectionFlags,
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(TopicCreate);
    this.jsonMode = flags.json;
    const d = await this.makeClient(flags).createTopic(createSpec(args.name, flags));
    this.out(describeText(d), d);
  }
}
