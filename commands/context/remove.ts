import {Args} from '@oclif/core';
import {MqCommand, jsonFlag} from '../../src/cli/base-command.js';
import {ContextStore, unknownContext} from '../../src/cli/context-store.js';
import {UsageError} from '../../src/cli/usage-error.js';

export default class ContextRemove extends MqCommand {
  static override summary = 'Remove a named context (unselecting it if it was selected).';
  static override examples = ['<%= config.bin %> context remove prod'];
  static override args = {name: Args.string({description: 'Context name.', required: true, ignoreStdin: true})};
  static override flags = {...jsonFlag};

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ContextRemove);
    this.jsonMode = flags.json;
    const store = ContextStore.fromEnv(process.env);
    if (!store.remove(args.name)) throw new UsageError(unknownContext(args.name, Object.keys(store.read().contexts)));
    this.out(`removed context ${args.name}`, {removed: args.name});
  }
}
