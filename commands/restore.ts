import {Flags} from '@oclif/core';
import {MqCommand, jsonFlag} from '../src/cli/base-command.js';

export default class Restore extends MqCommand {
  static override summary = 'Restore a backup into an empty data directory (offline).';
  static override description =
    'Checks the backup (checksums, SQLite integrity, data format) and puts it in place as --data-dir, which must not hold a database ' +
    'and must not be in use. Then start a broker on it as usual; an older data format is upgraded when it starts. ' +
    'To rebuild a cluster from one backup, restore the same backup into every broker\'s directory (see docs/operations.md).';

  static override examples = [
    {description: 'Restore into ./mq-data (then start a broker on it with mq broker start)', command: '<%= config.bin %> restore --from /backups/mq-2026-01-31'},
    {description: 'Restore into another directory', command: '<%= config.bin %> restore --from /backups/mq-1 --data-dir /var/lib/mq'},
  ];

  static override flags = {
    from: Flags.string({description: 'The backup directory (written by mq backup).', required: true}),
    'data-dir': Flags.string({description: 'Data directory to restore into (created if missing; must not hold a database).', default: './mq-data', env: 'MQ_DATA_DIR'}),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Restore);
    this.jsonMode = flags.json;
    const {restoreDataDir} = await import('../src/ops/index.js');
    const r = await restoreDataDir({from: flags.from, dataDir: flags['data-dir']});
    const m = r.manifest;
    const upgrade = r.migrates ? `; its data format ${m.format_version} is upgraded when the broker starts` : '';
    const cluster = m.cluster.clustered ? ` of cluster ${m.cluster.id} (brokers ${m.cluster.brokers.join(', ')})` : '';
    this.out(
      `restored ${m.topics} topics, ${m.messages} messages${cluster} from ${m.created_at} into ${r.dataDir}${upgrade}. ` +
        `Start it with: mq broker start --data-dir ${r.dataDir}${m.cluster.clustered ? ' --node-id <id> (with its usual cluster flags)' : ''}`,
      {data_dir: r.dataDir, migrates: r.migrates, removed: r.removed, manifest: m},
    );
  }
}
