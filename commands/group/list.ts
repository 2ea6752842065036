import {MqCommand, connectionFlags} from '../../src/cli/base-command.js';
import {groupsTable} from '../../src/cli/group-view.js';

export default class GroupList extends MqCommand {
  static override summary = 'List consumer groups.';
  static override examples = ['<%= config.bin %> group list'];
  static override flags = {...connectionFlags};

  async run(): Promise<void> {
    const {flags} = await this.parse(GroupList);
    this.jsonMode = flags.json;
    const groups = await this.makeClient(flags).listGroups();
    this.out(groupsTable(groups), groups);
  }
}
