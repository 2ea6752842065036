import {Args} from '@oclif/core';
import {MqCommand, connectionFlags} from '../../src/cli/base-command.js';

export default class TopicDelete extends MqCommand {
  static override summary = 'Delete a topic and all its messages.';
  static override examples = ['<%= config.bin %> topic delete scratch'];
  static override args = {name: Args.string({description: 'Topic name.', required: true, ignoreStdin: true})};
  static override flags = {...connectionFlags};

  async run(): Promise<void> {
    const {args, flags} = await this.parse(TopicDelete);
    this.jsonMode = flags.json;
    await this.makeClient(flags).deleteTopic(args.name);
    this.out(`deleted topic ${args.name}`, {deleted: args.name});
  }
}
