import {Args, Flags} from '@oclif/core';
import {MqCommand, connectionFlags} from '../../src/cli/base-command.js';
import {parseDuration} from '../../src/cli/duration.js';
import {MqError} from '../../src/errors.js';

export default class ClusterRemove extends MqCommand {
  static override summary = 'Remove a broker from the cluster: its replicas move to the others first.';
  static override description =
    'The cluster re-replicates every partition the broker holds onto the remaining brokers (keeping each replication factor), ' +
    'then drops it from the membership. Waits until it is gone unless --no-wait. Stop the broker afterwards.';
  static override examples = ['<%= config.bin %> cluster remove 4', '<%= config.bin %> cluster remove 4 --no-wait'];
  static override args = {id: Args.integer({description: 'Broker id.', required: true, min: 1})};
  static override flags = {
    ...connectionFlags,
    wait: Flags.boolean({description: 'Wait until the broker has left.', default: true, allowNo: true}),
    timeout: Flags.string({description: 'How long to wait.', default: '5m'}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ClusterRemove);
    this.jsonMode = flags.json;
    const client = this.makeClient(flags);
    await client.removeBroker(args.id);
    if (!flags.wait) return this.out(`removing broker ${args.id}`, {removing: args.id});
    const deadline = Date.now() + parseDuration(flags.timeout);
    while ((await client.cluster()).brokers.some((b) => b.id === args.id)) {
      if (Date.now() > deadline) throw new MqError('TIMEOUT', `broker ${args.id} is still leaving after ${flags.timeout}`, {broker: args.id});
      await new Promise((r) => setTimeout(r, 500));
    }
    this.out(`removed broker ${args.id}`, {removed: args.id});
  }
}
