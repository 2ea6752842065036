import {Args, Flags} from '@oclif/core';
import {MqCommand, UsageError, connectionFlags} from '../src/cli/base-command.js';
import {parseDuration} from '../src/cli/duration.js';
import {ExitCode} from '../src/cli/exit-codes.js';

const WORKLOADS = ['produce', 'consume', 'e2e', 'queue', 'failover'];

export default class Bench extends MqCommand {
  static override summary = 'Measure a broker: produce, consume, end-to-end latency, work queues, failover.';
  static override description =
    'Drives the broker at --url through the client library and prints msg/s, MB/s and latency percentiles from an HDR histogram ' +
    '(p50/p90/p99/p99.9/max), per client and in total. --rate runs at a fixed rate and measures latency from each send\'s scheduled time, ' +
    'so a stall counts against every message it delayed (no coordinated omission). failover starts its own three local brokers. ' +
    'Long runs belong on a quiet machine: client and broker share its cores.';

  static override examples = [
    {description: 'Batched produce, 100 B messages, 100 per request, 4 producers', command: '<%= config.bin %> bench produce --messages 500000 --producers 4'},
    {description: 'One message in flight: produce latency', command: '<%= config.bin %> bench produce --batch 1 --messages 20000'},
    {description: 'Produce -> consume latency at a fixed 1,000 msg/s for 30 s', command: '<%= config.bin %> bench e2e --rate 1000 --duration 30s'},
    {description: 'Consume 1M messages with 2 consumers over 4 partitions', command: '<%= config.bin %> bench consume --messages 1000000 --partitions 4 --consumers 2'},
    {description: 'Work queue fetch + ack, then produce -> processed latency', command: '<%= config.bin %> bench queue --consumers 4 --latency-count 1000'},
    {description: 'Kill the leader 10 times under load (local 3-broker cluster)', command: '<%= config.bin %> bench failover --kills 10'},
    {description: 'Results as CSV, with the commit and every parameter', command: '<%= config.bin %> bench produce --csv > produce.csv'},
  ];

  static override args = {
    workload: Args.string({description: 'What to measure.', options: WORKLOADS, required: true}),
  };

  static override flags = {
    size: Flags.integer({char: 's', description: 'Message size in bytes.', default: 100, min: 20}),
    messages: Flags.integer({char: 'n', description: 'Messages to send (or to fill and read, for consume and queue); default 100000.', min: 1}),
    duration: Flags.string({char: 'd', description: 'Run for this long instead of a count (produce, e2e), e.g. 30s; with --rate, rate x duration messages.'}),
    producers: Flags.integer({char: 'p', description: 'Concurrent producers (one request in flight each; failover: load loops, default 4); default 1.', min: 1}),
    consumers: Flags.integer({char: 'c', description: 'Concurrent consumers or queue workers.', default: 1, min: 1}),
    batch: Flags.integer({char: 'b', description: 'Messages per produce request (default 100; e2e 1).', min: 1}),
    'fetch-max': Flags.integer({description: 'Messages per fetch or lease.', default: 1000, min: 1}),
    acks: Flags.string({description: 'all: on disk (a majority in a cluster); leader; 0: not confirmed.', options: ['all', 'leader', '0'], default: 'all'}),
    partitions: Flags.integer({description: 'Partitions of the benchmark topic.', default: 1, min: 1}),
    keys: Flags.string({description: 'Key distribution: none (round-robin), unique, uniform:N.', default: 'none'}),
    rate: Flags.integer({description: 'Fixed rate in msg/s over all producers (default for e2e: 1000).', min: 1}),
    'consume-mode': Flags.string({description: 'consume: by offset, or as a consumer group with auto-commit.', options: ['offset', 'group'], default: 'offset'}),
    'latency-count': Flags.integer({description: 'queue: produce -> processed round trips after fetch + ack.', default: 0, min: 0}),
    kills: Flags.integer({description: 'failover: leader kills.', default: 5, min: 1}),
    csv: Flags.boolean({description: 'CSV: one row per phase and client, with the commit and config.', exclusive: ['json']}),
    ...connectionFlags,
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Bench);
    this.jsonMode = flags.json;
    const {resolveOptions, parseKeys, runBench, textReport, jsonReport, csvReport} = await import('../src/bench/index.js');
    let opts;
    try {
      opts = resolveOptions(args.workload as 'produce', {
        size: flags.size, messages: flags.messages, durationMs: flags.duration === undefined ? undefined : parseDuration(flags.duration),
        producers: flags.producers, consumers: flags.consumers, batch: flags.batch, fetchMax: flags['fetch-max'], acks: flags.acks as 'all',
        partitions: flags.partitions, keys: parseKeys(flags.keys), rate: flags.rate, consumeMode: flags['consume-mode'] as 'offset',
        latencyCount: flags['latency-count'], kills: flags.kills,
      });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const quiet = flags.json || flags.csv;
    const started = quiet ? undefined : (lines: string[]) => this.log(`${lines.join('\n')}\n`);
    const report = await runBench(opts, {url: flags.url, token: flags.token, ca: this.caPem(), progress: !quiet, log: quiet ? undefined : (l) => this.log(l), started});
    process.stdout.write((flags.json ? jsonReport(report) : flags.csv ? csvReport(report) : textReport(report, opts, false)) + '\n');
    const phases = report.result.phases;
    if (phases.some((p) => p.errors > 0) || (report.result.failover?.lost ?? 0) > 0) this.exit(ExitCode.Error);
  }
}
