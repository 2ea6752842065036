import {Flags} from '@oclif/core';
import {MqCommand, jsonFlag} from '../src/cli/base-command.js';

export default class Backup extends MqCommand {
  static override summary = 'Take a consistent backup of a broker\'s data directory, while it runs.';
  static override description =
    'Copies the broker\'s database with SQLite\'s online backup (one read transaction: a snapshot of one commit, Raft state included) ' +
    'into a new directory, with the cluster secret and a manifest of checksums. Runs on the broker\'s machine, as a user that may read ' +
    'its data directory; the broker keeps serving (and need not be running). Restore with mq restore.';

  static override examples = [
    {description: 'Back up the broker in ./mq-data', command: '<%= config.bin %> backup --to /backups/mq-$(date +%F)'},
    {description: 'Back up another data directory, print the manifest as JSON', command: '<%= config.bin %> backup --data-dir /var/lib/mq --to /backups/mq-1 --json'},
  ];

  static override flags = {
    'data-dir': Flags.string({description: 'The broker\'s data directory.', default: './mq-data', env: 'MQ_DATA_DIR'}),
    to: Flags.string({description: 'Directory to create for the backup (must not exist, or be empty).', required: true}),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Backup);
    this.jsonMode = flags.json;
    const {backupDataDir, formatBytes} = await import('../src/ops/index.js');
    const {dir, manifest: m, copyMs} = await backupDataDir({dataDir: flags['data-dir'], to: flags.to});
    const bytes = m.files.reduce((n, f) => n + f.bytes, 0);
    this.out(
      `backup written to ${dir}: ${m.topics} topics, ${m.partitions} partitions, ${m.messages} messages, ${formatBytes(bytes)} ` +
        `(data format ${m.format_version}, copied in ${Math.round(copyMs)} ms)`,
      {dir, copy_ms: Math.round(copyMs), manifest: m},
    );
  }
}
