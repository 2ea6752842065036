import {MqCommand, connectionFlags} from '../../src/cli/base-command.js';
import {clusterText} from '../../src/cli/cluster-view.js';

export default class ClusterStatus extends MqCommand {
  static override summary = 'Show the cluster: members, the metadata leader, replicas and leaders per broker.';
  static override description = 'Reads GET /v1/cluster from the broker at --url (any member answers for the whole cluster).';
  static override examples = ['<%= config.bin %> cluster status', '<%= config.bin %> cluster status --url http://10.0.0.2:7070 --json'];
  static override flags = {...connectionFlags};

  async run(): Promise<void> {
    const {flags} = await this.parse(ClusterStatus);
    this.jsonMode = flags.json;
    const view = await this.makeClient(flags).cluster();
    this.out(clusterText(view), view);
  }
}
