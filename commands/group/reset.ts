import {Args, Flags} from '@oclif/core';
import {MqCommand, connectionFlags} from '../../src/cli/base-command.js';

export default class GroupReset extends MqCommand {
  static override summary = 'Move a group\'s committed offsets (the group must have no active members).';
  static override description = '--to takes earliest, latest, an offset, or a time (ISO 8601, e.g. 2026-11-23T10:00:00Z): the first message at or after it.';
  static override examples = [
    {description: 'Re-read everything', command: '<%= config.bin %> group reset billing --to earliest'},
    {description: 'Skip the backlog', command: '<%= config.bin %> group reset billing --to latest'},
    {description: 'Replay since this morning', command: '<%= config.bin %> group reset billing --to 2026-11-23T06:00:00Z'},
    {description: 'One partition to an offset', command: '<%= config.bin %> group reset billing --topic orders --partition 1 --to 42'},
  ];

  static override args = {name: Args.string({description: 'Group name.', required: true, ignoreStdin: true})};
  static override flags = {
    to: Flags.string({description: 'earliest, latest, an offset, or a time.', required: true}),
    topic: Flags.string({description: 'Only this topic.'}),
    partition: Flags.integer({description: 'Only this partition.', min: 0}),
    ...connectionFlags,
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(GroupReset);
    this.jsonMode = flags.json;
    const to = /^\d+$/.test(flags.to) ? Number(flags.to) : flags.to;
    const offsets = await this.makeClient(flags).resetGroup(args.name, to, {topic: flags.topic, partition: flags.partition});
    this.out(offsets.map((o) => `${o.topic}/${o.partition} → ${o.offset}`).join('\n'), offsets);
  }
}
