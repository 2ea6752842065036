import {Args, Flags} from '@oclif/core';
import {MqCommand, connectionFlags} from '../../src/cli/base-command.js';

export default class DlqRedrive extends MqCommand {
  static override summary = 'Send a topic\'s dead letters back to work.';
  static override description =
    'Each dead letter not redriven before is produced again to the topic it came from, with a new id (<id>:redrive:<n>) and its original id in the mq-redrive-of header. Run it again later and only newer dead letters go.';
  static override examples = ['<%= config.bin %> dlq redrive orders', '<%= config.bin %> dlq redrive orders --max 10'];
  static override args = {topic: Args.string({description: 'The topic whose dead letters to redrive.', required: true, ignoreStdin: true})};
  static override flags = {
    max: Flags.integer({description: 'Redrive at most this many.', min: 1}),
    'dead-letter': Flags.string({description: 'The dead-letter topic, if not <topic>.dlq.'}),
    ...connectionFlags,
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(DlqRedrive);
    this.jsonMode = flags.json;
    const r = await this.makeClient(flags).redrive(args.topic, {max: flags.max, deadLetterTopic: flags['dead-letter']});
    this.out(`redrove ${r.redriven} dead letter(s) to ${args.topic}; ${r.remaining} left`, r);
  }
}
