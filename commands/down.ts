import {Flags} from '@oclif/core';
import {MqCommand, UsageError, jsonFlag} from '../src/cli/base-command.js';
import {parseDuration} from '../src/cli/duration.js';

export default class Down extends MqCommand {
  static override summary = 'Stop a cluster started by mq up, gracefully.';
  static override description =
    'Sends SIGTERM to the mq up supervisor, which stops the brokers one at a time (each hands its partitions\' leadership to a broker still up, then flushes and exits) and then the lb; ' +
    'anything still running after --timeout is killed. The data stays: mq up on the same directory resumes the cluster. --purge removes the data directory and the contexts mq up wrote.';

  static override examples = [
    '<%= config.bin %> down',
    {description: 'Stop and delete everything', command: '<%= config.bin %> down --purge'},
    '<%= config.bin %> down --data-dir /tmp/chaos --timeout 30s',
  ];

  static override flags = {
    'data-dir': Flags.string({description: 'The cluster\'s data directory (default: the one in .mq-context.json here, else ./mq-cluster).'}),
    purge: Flags.boolean({description: 'Also remove the data directory and the contexts mq up wrote.'}),
    timeout: Flags.string({description: 'How long to wait for a clean stop before killing.', default: '60s'}),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Down);
    this.jsonMode = flags.json;
    let timeoutMs: number;
    try {
      timeoutMs = parseDuration(flags.timeout);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const {readDirContext} = await import('../src/cli/context-store.js');
    const {runDown} = await import('../src/up/run-down.js');
    const dataDir = flags['data-dir'] ?? readDirContext(process.cwd())?.data_dir ?? './mq-cluster';
    const r = await runDown({dataDir, timeoutMs, purge: flags.purge, cwd: process.cwd(), env: process.env});
    const what = r.supervisor ? `stopped the cluster in ${r.data_dir} (supervisor pid ${r.supervisor})` : `no supervisor was running in ${r.data_dir}`;
    const extra = [r.orphans.length ? `stopped ${r.orphans.length} process(es) it had left` : '', r.killed.length ? `killed ${r.killed.join(', ')} after ${flags.timeout}` : '', r.purged ? 'data removed' : 'data kept (mq up resumes it)'];
    this.out([what, ...extra.filter(Boolean)].join('; '), r);
  }
}
