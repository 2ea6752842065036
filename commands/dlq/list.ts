import {Args, Flags} from '@oclif/core';
import {MqCommand, connectionFlags} from '../../src/cli/base-command.js';
import {deadLetterLines} from '../../src/cli/dlq.js';

export default class DlqList extends MqCommand {
  static override summary = 'List a topic\'s dead letters: what failed, where from, how often, and why.';
  static override examples = ['<%= config.bin %> dlq list orders', '<%= config.bin %> dlq list orders --json | jq -r .error'];
  static override args = {topic: Args.string({description: 'The topic whose dead letters to list (reads <topic>.dlq).', required: true, ignoreStdin: true})};
  static override flags = {
    'dead-letter': Flags.string({description: 'The dead-letter topic, if not <topic>.dlq.'}),
    max: Flags.integer({description: 'List at most this many.', default: 100, min: 1}),
    ...connectionFlags,
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(DlqList);
    this.jsonMode = flags.json;
    const lines = await deadLetterLines(this.makeClient(flags), flags['dead-letter'] ?? `${args.topic}.dlq`, flags.max);
    if (lines.length === 0 && !flags.json) this.out(`no dead letters for ${args.topic}`);
    for (const l of lines) this.out(l.human, l.json);
  }
}
