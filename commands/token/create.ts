import {Flags} from '@oclif/core';
import {MqCommand, connectionFlags} from '../../src/cli/base-command.js';
import {TokenApi} from '../../src/client/tokens.js';
import {parseRate} from '../../src/security/rate-limit-parse.js';

export default class TokenCreate extends MqCommand {
  static override summary = 'Create an access token and print its secret (shown this once only).';
  static override description =
    'Grants are produce:TOPIC, consume:TOPIC, receipts:PRODUCER or admin; a resource ending in * is a prefix (orders* covers orders and orders.eu), * alone is every name. ' +
    'Only a hash of the secret is stored, in the cluster metadata (every broker knows it at once). Needs an admin token. See docs/security.md.';

  static override examples = [
    '<%= config.bin %> token create --name P1 --grant produce:orders --grant consume:orders',
    '<%= config.bin %> token create --name ingest --grant produce:events* --rate 1000/s --bytes-rate 10MB/s',
    '<%= config.bin %> token create --name ops --grant admin',
  ];

  static override flags = {
    ...connectionFlags,
    name: Flags.string({description: 'Token name ([A-Za-z0-9._-], unique; revoke uses it).', required: true}),
    grant: Flags.string({description: 'A grant (repeatable): produce:T, consume:T, receipts:P, admin; T may end in * for a prefix.', required: true, multiple: true}),
    rate: Flags.string({description: 'Produce limit on each broker, messages per second, e.g. 1000/s (default: none).'}),
    'bytes-rate': Flags.string({description: 'Produce limit on each broker, bytes per second, e.g. 10MB/s (default: none).'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(TokenCreate);
    this.jsonMode = flags.json;
    const created = await new TokenApi(this.makeClient(flags)).create({
      name: flags.name,
      grants: flags.grant,
      messagesPerS: flags.rate === undefined ? undefined : parseRate(flags.rate),
      bytesPerS: flags['bytes-rate'] === undefined ? undefined : parseRate(flags['bytes-rate'], {bytes: true}),
    });
    this.out(`${created.token}\n(token ${created.name}: ${created.grants.join(' ')}; store it now, it cannot be shown again)`, created);
  }
}
