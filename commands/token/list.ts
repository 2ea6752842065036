import {MqCommand, connectionFlags} from '../../src/cli/base-command.js';
import {table} from '../../src/cli/output.js';
import {TokenApi} from '../../src/client/tokens.js';

export default class TokenList extends MqCommand {
  static override summary = 'List access tokens: names, grants and limits (never their secrets).';
  static override examples = ['<%= config.bin %> token list'];
  static override flags = {...connectionFlags};

  async run(): Promise<void> {
    const {flags} = await this.parse(TokenList);
    this.jsonMode = flags.json;
    const tokens = await new TokenApi(this.makeClient(flags)).list();
    const rows = tokens.map((t) => [t.name, t.grants.join(' '), t.messages_per_s ?? '-', t.bytes_per_s ?? '-', t.created_at]);
    this.out(tokens.length === 0 ? 'no tokens' : table([['NAME', 'GRANTS', 'MSG/S', 'BYTES/S', 'CREATED'], ...rows]), tokens);
  }
}
