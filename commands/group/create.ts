import {Args, Flags} from '@oclif/core';
import {MqCommand, connectionFlags} from '../../src/cli/base-command.js';
import {parseDuration} from '../../src/cli/duration.js';

export default class GroupCreate extends MqCommand {
  static override summary = 'Create a consumer group.';
  static override description =
    'A stream group shares its topics\' partitions among its members (round-robin, rebalanced as members come and go) and remembers, per partition, the next offset to read. ' +
    'A queue group hands messages to competing workers as leases, highest priority first; each is acked, nacked or redelivered when its lease runs out, and dead-lettered after --max-deliveries.';
  static override examples = [
    {description: 'A group reading orders from the beginning', command: '<%= config.bin %> group create billing --topic orders'},
    {description: 'Only new messages, two topics, 30 s sessions', command: '<%= config.bin %> group create audit --topic orders --topic payments --from latest --session-timeout 30s'},
    {description: 'A work queue: 30 s leases, dead letters after 4 deliveries (to orders.dlq)', command: '<%= config.bin %> group create billing --topic orders --mode queue --lease 30s --max-deliveries 4'},
  ];

  static override args = {name: Args.string({description: 'Group name.', required: true, ignoreStdin: true})};
  static override flags = {
    topic: Flags.string({char: 't', description: 'Topic the group reads (repeatable).', multiple: true, required: true}),
    mode: Flags.string({description: 'stream (committed offsets per partition) or queue (leases, acks, dead letters).', options: ['stream', 'queue'], default: 'stream'}),
    lease: Flags.string({description: 'Queue groups: how long a worker holds a message before it is redelivered (default 30s).'}),
    'max-deliveries': Flags.integer({description: 'Queue groups: deliveries before a message is dead-lettered (default 4).', min: 1, max: 1000}),
    'dead-letter': Flags.string({description: 'Queue groups: topic for dead letters (default <topic>.dlq).'}),
    from: Flags.string({description: 'Where to start on a partition with nothing committed.', options: ['earliest', 'latest'], default: 'earliest'}),
    'session-timeout': Flags.string({description: 'A member that is silent this long is removed (e.g. 10s).'}),
    ...connectionFlags,
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(GroupCreate);
    this.jsonMode = flags.json;
    const g = await this.makeClient(flags).createGroup({
      name: args.name,
      topics: flags.topic,
      mode: flags.mode as 'stream' | 'queue',
      from: flags.from as 'earliest' | 'latest',
      session_timeout_ms: flags['session-timeout'] === undefined ? undefined : parseDuration(flags['session-timeout']),
      lease_ms: flags.lease === undefined ? undefined : parseDuration(flags.lease),
      max_deliveries: flags['max-deliveries'],
      dead_letter_topic: flags['dead-letter'],
    });
    this.out(`group ${g.name} (${g.mode}) reads ${g.topics.join(', ')}`, g);
  }
}
