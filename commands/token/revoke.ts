import {Args} from '@oclif/core';
import {MqCommand, connectionFlags} from '../../src/cli/base-command.js';
import {TokenApi} from '../../src/client/tokens.js';

export default class TokenRevoke extends MqCommand {
  static override summary = 'Revoke an access token (and the ephemeral tokens it issued) on every broker.';
  static override examples = ['<%= config.bin %> token revoke P1'];
  static override args = {name: Args.string({description: 'Token name.', required: true, ignoreStdin: true})};
  static override flags = {...connectionFlags};

  async run(): Promise<void> {
    const {args, flags} = await this.parse(TokenRevoke);
    this.jsonMode = flags.json;
    await new TokenApi(this.makeClient(flags)).revoke(args.name);
    this.out(`revoked token ${args.name}`, {revoked: args.name});
  }
}
