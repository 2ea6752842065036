import {Args} from '@oclif/core';
import {MqCommand, connectionFlags} from '../../src/cli/base-command.js';
import {describeText} from '../../src/cli/topic-view.js';

export default class TopicDescribe extends MqCommand {
  static override summary = 'Show a topic\'s settings and, per partition, its offsets and size.';
  static override examples = ['<%= config.bin %> topic describe orders', '<%= config.bin %> topic describe orders --json'];
  static override args = {name: Args.string({description: 'Topic name.', required: true, ignoreStdin: true})};
  static override flags = {...connectionFlags};

  async run(): Promise<void> {
    const {args, flags} = await this.parse(TopicDescribe);
    this.jsonMode = flags.json;
    const d = await this.makeClient(flags).describeTopic(args.name);
    this.out(describeText(d), d);
  }
}
