import {Args, Flags} from '@oclif/core';
import {autoscaleFlags, autoscaleFromFlags} from '../../src/cli/autoscale-flags.js';
import {MqCommand, UsageError, connectionFlags} from '../../src/cli/base-command.js';
import {dedupFromFlags, describeText, retentionFromFlags} from '../../src/cli/topic-view.js';
import type {WireTopicPatch} from '../../src/protocol/wire.js';
import {retentionFlags} from './create.js';

export default class TopicUpdate extends MqCommand {
  static override summary = 'Change a topic\'s retention, de-duplication window, or grow its partitions.';
  static override description =
    'Growing --partitions adds new partitions at the end of the hashing list: keys remap to the new count from then on (as in Kafka), so per-key order holds only from that point. Partitions cannot shrink.';
  static override examples = [
    {description: 'Keep one day of messages', command: '<%= config.bin %> topic update orders --retention-age 1d'},
    {description: 'Remove the message-count limit', command: '<%= config.bin %> topic update orders --retention-messages 0'},
    {description: 'Grow to four partitions', command: '<%= config.bin %> topic update orders --partitions 4'},
    {description: 'Let an idle added partition go after 30 seconds', command: '<%= config.bin %> topic update jobs --autoscale-idle-after 30s'},
    {description: 'Stop autoscaling (the partitions it added drain and go once idle)', command: '<%= config.bin %> topic update jobs --no-autoscale'},
  ];

  static override args = {name: Args.string({description: 'Topic name.', required: true, ignoreStdin: true})};
  static override flags = {
    partitions: Flags.integer({char: 'p', description: 'New (larger) number of partitions.', min: 1}),
    ...retentionFlags,
    ...autoscaleFlags,
    autoscale: Flags.boolean({description: 'With --no-autoscale: stop autoscaling; the partitions it added are drained and removed once idle.', allowNo: true}),
    ...connectionFlags,
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(TopicUpdate);
    this.jsonMode = flags.json;
    const patch: WireTopicPatch = {};
    if (flags.partitions !== undefined) patch.partitions = flags.partitions;
    const retention = retentionFromFlags(flags);
    if (retention) patch.retention = retention;
    const dedup = dedupFromFlags(flags);
    if (dedup !== undefined) patch.dedup_window_ms = dedup;
    const autoscale = autoscaleFromFlags(flags);
    if (flags.autoscale === false && autoscale) throw new UsageError('--no-autoscale cannot be combined with --autoscale-* settings');
    if (flags.autoscale === false) patch.autoscale = null;
    else if (autoscale) patch.autoscale = autoscale;
    if (Object.keys(patch).length === 0) throw new UsageError('nothing to change: give --partitions, --retention-*, --dedup-window or --autoscale-*');
    const d = await this.makeClient(flags).updateTopic(args.name, patch);
    this.out(describeText(d), d);
  }
}
