import {Flags} from '@oclif/core';
import {MqCommand, UsageError, connectionFlags} from '../src/cli/base-command.js';
import {parseDuration} from '../src/cli/duration.js';
import {ExitCode} from '../src/cli/exit-codes.js';
import type {MqError} from '../src/errors.js';

export default class Status extends MqCommand {
  static override summary = 'Show the state of one or more brokers: node, cluster, storage, topics, partitions and groups.';
  static override description =
    'With several --url flags (or comma-separated URLs) it shows a summary with one line per broker and marks unreachable ones. ' +
    'Exits with code 4 when a broker cannot be reached or is not healthy (not serving, or a partition without a leader).';

  static override examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status --url http://10.0.0.5:7070 --url http://10.0.0.6:7070',
    {description: 'Refresh every second until Ctrl-C', command: '<%= config.bin %> status --watch --interval 1s'},
    {description: 'In CI: wait up to 30 s for the broker to be healthy', command: '<%= config.bin %> status --exit-when-healthy --timeout 30s'},
    '<%= config.bin %> status --json | jq .storage',
  ];

  static override flags = {
    ...connectionFlags,
    url: Flags.string({description: 'Broker URL; repeat (or comma-separate) for several.', env: 'MQ_URL', default: ['http://127.0.0.1:7070'], multiple: true, helpGroup: 'GLOBAL'}),
    watch: Flags.boolean({char: 'w', description: 'Refresh every --interval until Ctrl-C (redrawn on a terminal, one snapshot after another otherwise).'}),
    interval: Flags.string({description: 'How often --watch and --exit-when-healthy poll.', default: '2s'}),
    'exit-when-healthy': Flags.boolean({description: 'Poll until every broker is healthy (exit 0), or until --timeout (exit 4).', exclusive: ['watch']}),
    timeout: Flags.string({description: 'How long --exit-when-healthy waits.', default: '60s'}),
    internal: Flags.boolean({description: 'Also show internal topics (__groups, __receipts).'}),
  };

  protected override exitCodeFor(_error: MqError): number {
    return ExitCode.Unhealthy;
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Status);
    this.jsonMode = flags.json;
    let intervalMs: number;
    let timeoutMs: number;
    try {
      intervalMs = Math.max(100, parseDuration(flags.interval));
      timeoutMs = parseDuration(flags.timeout);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const {splitUrls} = await import('../src/observe/snapshots.js');
    const run = await import('../src/cli/status-run.js');
    const {supervisorExtra} = await import('../src/up/up-status.js');
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
    const opts = {
      urls: splitUrls(flags.url),
      token: flags.token,
      ca: this.caPem(),
      json: flags.json,
      internal: flags.internal,
      intervalMs,
      timeoutMs,
      redraw: Boolean(process.stdout.isTTY) && !flags.json,
      out: (text: string) => process.stdout.write(text + '\n'),
      err: (text: string) => process.stderr.write(text + '\n'),
      signal: stop.signal,
      extra: supervisorExtra(this.connection?.dataDir),
    };
    try {
      const code = flags['exit-when-healthy'] ? await run.statusUntilHealthy(opts) : flags.watch ? await run.statusWatch(opts) : await run.statusOnce(opts);
      if (code !== ExitCode.Ok) this.exit(code);
    } finally {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    }
  }
}
