import fs from 'node:fs';
import path from 'node:path';
import {Flags} from '@oclif/core';
import {MqCommand, jsonFlag} from '../../src/cli/base-command.js';
import {parseDuration} from '../../src/cli/duration.js';
import {processAlive, stopProcess} from '../../src/cli/detach.js';
import {ExitCode} from '../../src/cli/exit-codes.js';

export default class BrokerStop extends MqCommand {
  static override summary = 'Stop a broker gracefully.';
  static override description = 'Sends SIGTERM to the broker named by its pid file and waits until it has flushed and exited.';
  static override examples = [
    {description: 'Stop the broker started in ./mq-data', command: '<%= config.bin %> broker stop'},
    {description: 'Stop a broker by its pid file', command: '<%= config.bin %> broker stop --pid-file /var/lib/mq/broker.pid'},
  ];

  static override flags = {
    'pid-file': Flags.string({description: 'The broker\'s pid file (default <data-dir>/broker.pid).'}),
    'data-dir': Flags.string({description: 'Data directory holding broker.pid.', default: './mq-data', env: 'MQ_DATA_DIR'}),
    timeout: Flags.string({description: 'How long to wait for a clean exit.', default: '30s'}),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(BrokerStop);
    this.jsonMode = flags.json;
    const file = flags['pid-file'] ?? path.join(flags['data-dir'], 'broker.pid');
    const pid = fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8').trim()) : Number.NaN;
    if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) {
      this.out(`no broker is running (pid file ${file})`, {stopped: false, reason: 'not running', pid_file: file});
      return this.exit(ExitCode.Error);
    }
    const stopped = await stopProcess(pid, parseDuration(flags.timeout));
    if (!stopped) {
      this.out(`broker ${pid} is still running after ${flags.timeout}`, {stopped: false, pid});
      return this.exit(ExitCode.Timeout);
    }
    this.out(`broker stopped (pid ${pid})`, {stopped: true, pid});
  }
}
