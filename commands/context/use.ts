import {Args} from '@oclif/core';
import {MqCommand, jsonFlag} from '../../src/cli/base-command.js';
import {ContextStore} from '../../src/cli/context-store.js';

export default class ContextUse extends MqCommand {
  static override summary = 'Select the context commands use when nothing closer says otherwise.';
  static override description = 'Flags, MQ_URL/MQ_CONTEXT and a .mq-context.json in the current directory still take precedence over the selected context.';
  static override examples = ['<%= config.bin %> context use prod'];
  static override args = {name: Args.string({description: 'Context name.', required: true, ignoreStdin: true})};
  static override flags = {...jsonFlag};

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ContextUse);
    this.jsonMode = flags.json;
    ContextStore.fromEnv(process.env).use(args.name);
    this.out(`using context ${args.name}`, {current: args.name});
  }
}
