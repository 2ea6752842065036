import {Args} from '@oclif/core';
import {MqCommand, connectionFlags} from '../../src/cli/base-command.js';
import {groupText} from '../../src/cli/group-view.js';

export default class GroupDescribe extends MqCommand {
  static override summary = 'Show a group\'s members, assignment, committed offsets and lag per partition.';
  static override examples = ['<%= config.bin %> group describe billing', '<%= config.bin %> group describe billing --json | jq .lag'];
  static override args = {name: Args.string({description: 'Group name.', required: true, ignoreStdin: true})};
  static override flags = {...connectionFlags};

  async run(): Promise<void> {
    const {args, flags} = await this.parse(GroupDescribe);
    this.jsonMode = flags.json;
    const d = await this.makeClient(flags).describeGroup(args.name);
    this.out(groupText(d), d);
  }
}
