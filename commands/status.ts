import {MqCommand, connectionFlags} from '../src/cli/base-command.js';
import {ExitCode} from '../src/cli/exit-codes.js';
import {statusText} from '../src/cli/status-view.js';
import type {MqError} from '../src/errors.js';
import type {StatusModel} from '../src/observe/status.js';

export default class Status extends MqCommand {
  static override summary = 'Show a broker\'s state: node, storage, topics and partitions.';
  static override description = 'Exits with code 4 when the broker cannot be reached or is not ready.';
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --url http://10.0.0.5:7070 --json'];
  static override flags = {...connectionFlags};

  protected override exitCodeFor(_error: MqError): number {
    return ExitCode.Unhealthy;
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Status);
    this.jsonMode = flags.json;
    const status = await this.makeClient(flags, {timeoutMs: 5000}).status<StatusModel>();
    this.out(statusText(status), status);
    if (status.node.state !== 'serving') this.exit(ExitCode.Unhealthy);
  }
}
