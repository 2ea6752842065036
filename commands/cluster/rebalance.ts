import {MqCommand, connectionFlags} from '../../src/cli/base-command.js';

export default class ClusterRebalance extends MqCommand {
  static override summary = 'Spread replicas and preferred leaders evenly over the brokers.';
  static override description =
    'Moves replicas from the busiest to the idlest brokers and rotates preferred leaders; each move adds the new replica ' +
    'as a learner, promotes it once caught up, then removes the old one, so nothing is unavailable meanwhile.';
  static override examples = ['<%= config.bin %> cluster rebalance'];
  static override flags = {...connectionFlags};

  async run(): Promise<void> {
    const {flags} = await this.parse(ClusterRebalance);
    this.jsonMode = flags.json;
    const r = await this.makeClient(flags).rebalance();
    const lines = r.moves.map((m) => `${m.topic}/${m.partition} -> [${m.replicas.join(', ')}]`);
    this.out(r.moves.length === 0 ? 'already balanced' : `${r.moves.length} partition(s) reassigned:\n${lines.join('\n')}`, r);
  }
}
