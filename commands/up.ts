import {Flags} from '@oclif/core';
import {MqCommand, UsageError, jsonFlag} from '../src/cli/base-command.js';
import {parseDuration} from '../src/cli/duration.js';

export default class Up extends MqCommand {
  static override summary = 'Start a local cluster in one command: brokers (and an lb), supervised.';
  static override description =
    'Starts --brokers brokers founding one cluster (and, with --lb, an mq lb in front of them) on free loopback ports recorded in --data-dir, ' +
    'waits until every broker is ready and every partition has a leader, prints the URLs, and writes .mq-context.json here (and a context named after the data directory) ' +
    'so that later mq commands target the cluster without --url. A child that exits unexpectedly is restarted with backoff (see mq status). ' +
    'Re-running it on the same directory resumes the same cluster with its data. Stop it with Ctrl-C, or mq down when --detach\'ed.';

  static override examples = [
    {description: 'Three brokers and an lb, in the background', command: '<%= config.bin %> up --brokers 3 --lb --detach'},
    {description: 'In the foreground (Ctrl-C stops everything gracefully)', command: '<%= config.bin %> up'},
    {description: 'For chaos tests: nothing is restarted', command: '<%= config.bin %> up --detach --no-restart --data-dir /tmp/chaos'},
  ];

  static override flags = {
    brokers: Flags.integer({description: 'How many brokers (default 3; a re-run keeps the recorded number).', min: 1, max: 9}),
    lb: Flags.boolean({description: 'Also run mq lb in front of the brokers.'}),
    'data-dir': Flags.string({description: 'Where the cluster keeps its data, ports, logs and pid file.', default: './mq-cluster'}),
    detach: Flags.boolean({char: 'd', description: 'Supervise in the background; return once the cluster is ready.'}),
    restart: Flags.boolean({description: 'Restart a broker or lb that exits unexpectedly (--no-restart for chaos tests).', default: true, allowNo: true}),
    name: Flags.string({description: 'Name of the context to save (default: the data directory\'s name).'}),
    timeout: Flags.string({description: 'How long to wait for the cluster to be ready.', default: '60s'}),
    'ready-file': Flags.string({hidden: true}),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Up);
    this.jsonMode = flags.json;
    let timeoutMs: number;
    try {
      timeoutMs = parseDuration(flags.timeout);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    if (flags.brokers === 2) process.stderr.write('warning: two brokers tolerate no failure (a majority of two is two); use 3 to survive one\n');
    const {alreadyRunning, runSupervisor, startDetachedUp} = await import('../src/up/run-up.js');
    const {upText} = await import('../src/up/up-output.js');
    const cwd = process.cwd();
    const running = alreadyRunning(flags['data-dir'], cwd);
    if (running) return this.out(upText(running, cwd, {detached: true, already: true}), {...running, already_running: true});
    if (flags.detach) {
      const args = this.argv.filter((a) => a !== '--detach' && a !== '-d');
      const ready = await startDetachedUp(args, {dataDir: flags['data-dir'], timeoutMs, env: process.env});
      return this.out(upText(ready, cwd, {detached: true}), ready);
    }
    const say = flags['ready-file'] ? () => {} : (line: string) => process.stderr.write(line + '\n');
    await runSupervisor(
      {dataDir: flags['data-dir'], brokers: flags.brokers, lb: flags.lb, name: flags.name, restart: flags.restart, timeoutMs, cwd, env: process.env, readyFile: flags['ready-file'], say},
      (ready) => this.out(upText(ready, cwd, {detached: false}), ready),
    );
  }
}
