import {Args} from '@oclif/core';
import {MqCommand, connectionFlags} from '../../src/cli/base-command.js';

export default class GroupDelete extends MqCommand {
  static override summary = 'Delete a consumer group and its committed offsets (it must have no active members).';
  static override examples = ['<%= config.bin %> group delete billing'];
  static override args = {name: Args.string({description: 'Group name.', required: true, ignoreStdin: true})};
  static override flags = {...connectionFlags};

  async run(): Promise<void> {
    const {args, flags} = await this.parse(GroupDelete);
    this.jsonMode = flags.json;
    await this.makeClient(flags).deleteGroup(args.name);
    this.out(`deleted group ${args.name}`, {deleted: args.name});
  }
}
