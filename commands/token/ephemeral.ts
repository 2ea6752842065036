import {Flags} from '@oclif/core';
import {MqCommand, connectionFlags} from '../../src/cli/base-command.js';
import {parseDuration} from '../../src/cli/duration.js';
import {TokenApi} from '../../src/client/tokens.js';

export default class TokenEphemeral extends MqCommand {
  static override summary = 'Get a short-lived read token for one topic (for a browser EventSource: ?access_token=).';
  static override description = 'Needs consume on the topic. The token opens GET /v1/topics/TOPIC/stream only (with --key, only with that key=), until it expires.';
  static override examples = ['<%= config.bin %> token ephemeral --topic chat --key room-1 --ttl 10m'];
  static override flags = {
    ...connectionFlags,
    topic: Flags.string({description: 'The topic it may stream.', required: true}),
    key: Flags.string({description: 'Only messages with this key (the stream URL must say key=...).'}),
    ttl: Flags.string({description: 'Lifetime, e.g. 5m (default 5m; the broker caps it, 1h by default).'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(TokenEphemeral);
    this.jsonMode = flags.json;
    const t = await new TokenApi(this.makeClient(flags)).ephemeral(flags.topic, {key: flags.key, ttlMs: flags.ttl === undefined ? undefined : parseDuration(flags.ttl)});
    this.out(`${t.token}\n(streams ${t.topic}${t.key === null ? '' : ` key ${t.key}`} until ${t.expires_at})`, t);
  }
}
