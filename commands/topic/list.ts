import {MqCommand, connectionFlags} from '../../src/cli/base-command.js';
import {topicsTable} from '../../src/cli/topic-view.js';

export default class TopicList extends MqCommand {
  static override summary = 'List topics.';
  static override examples = ['<%= config.bin %> topic list', '<%= config.bin %> topic list --json | jq -r \'.[].name\''];
  static override flags = {...connectionFlags};

  async run(): Promise<void> {
    const {flags} = await this.parse(TopicList);
    this.jsonMode = flags.json;
    const topics = await this.makeClient(flags).listTopics();
    this.out(topicsTable(topics), topics);
  }
}
