import {MqCommand, connectionFlags} from '../../src/cli/base-command.js';
import {contextListText, listContexts} from '../../src/cli/context-list.js';
import {ContextStore} from '../../src/cli/context-store.js';

export default class ContextList extends MqCommand {
  static override summary = 'List the named contexts, the directory context, and which URL commands here would use.';
  static override examples = ['<%= config.bin %> context list', '<%= config.bin %> context list --json'];
  static override flags = {...connectionFlags};

  async run(): Promise<void> {
    const {flags} = await this.parse(ContextList);
    this.jsonMode = flags.json;
    const listing = listContexts(ContextStore.fromEnv(process.env), process.cwd(), this.connection!);
    this.out(contextListText(listing), listing);
  }
}
