import {Args, Flags} from '@oclif/core';
import {MqCommand, connectionFlags} from '../src/cli/base-command.js';
import {consumeByOffset, consumeGroup, messageLine, parseFrom} from '../src/cli/consume.js';
import {UsageError} from '../src/cli/base-command.js';
import {parseDuration} from '../src/cli/duration.js';
import {ExitCode} from '../src/cli/exit-codes.js';

export default class Consume extends MqCommand {
  static override summary = 'Read messages from a topic.';
  static override description =
    'Reads committed messages by offset from every partition (or one with --partition). Without --follow or --max it prints what the topic holds now and exits. ' +
    'With --max N it waits for N messages; if --timeout passes first it exits with code 3. With --json each message is one JSON object per line.';

  static override examples = [
    {description: 'The three messages of the demo order, as JSON lines', command: '<%= config.bin %> consume orders --from earliest --max 3 --json'},
    {description: 'Follow new messages as they arrive (Ctrl-C to stop)', command: '<%= config.bin %> consume events --from latest --follow'},
    {description: 'In CI: wait at most 5 s for 10 messages (exit 3 if fewer)', command: '<%= config.bin %> consume results --max 10 --timeout 5s --json'},
    {description: 'As a group member: continue where the group left off, commit what was printed', command: '<%= config.bin %> consume orders --group billing --follow'},
    {description: 'A queue worker: run a script per message, ack on success, retry on failure', command: '<%= config.bin %> consume orders --queue --group billing --exec \'./bill.sh\' --concurrency 4'},
  ];

  static override args = {topic: Args.string({description: 'Topic to read.', required: true, ignoreStdin: true})};
  static override flags = {
    from: Flags.string({description: 'Where to start: earliest, latest or an offset.', default: 'earliest'}),
    partition: Flags.integer({char: 'p', description: 'Read only this partition.', min: 0}),
    max: Flags.integer({char: 'n', description: 'Stop after this many messages.', min: 1}),
    timeout: Flags.string({description: 'Stop after this long (e.g. 5s); with --max, exit 3 if fewer arrived.'}),
    follow: Flags.boolean({char: 'f', description: 'Keep waiting for new messages.'}),
    group: Flags.string({char: 'g', description: 'Read as a member of this consumer group: committed offsets, partitions shared with other members (created on first use).'}),
    queue: Flags.boolean({description: 'Work-queue mode (with --group): lease messages, highest priority first, and ack each one once handled.', dependsOn: ['group']}),
    exec: Flags.string({description: 'With --queue: run this shell command per message (value on stdin, MQ_* variables); exit 0 acks, anything else nacks.', dependsOn: ['queue']}),
    concurrency: Flags.integer({description: 'With --queue: messages handled at once.', default: 1, min: 1, max: 1000}),
    'nack-delay': Flags.string({description: 'With --exec: wait this long before a failed message is delivered again (e.g. 5s).', default: '0ms'}),
    ...connectionFlags,
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Consume);
    this.jsonMode = flags.json;
    const ac = new AbortController();
    const onSigint = (): void => ac.abort();
    process.once('SIGINT', onSigint);
    try {
      const opts = {
        from: parseFrom(flags.from),
        partitions: flags.partition === undefined ? undefined : [flags.partition],
        max: flags.max,
        timeoutMs: flags.timeout === undefined ? undefined : parseDuration(flags.timeout),
        follow: flags.follow,
        signal: ac.signal,
      };
      const emit = (m: Parameters<typeof messageLine>[0]): void => this.out(messageLine(m), m);
      if (flags.queue) {
        const {consumeQueue} = await import('../src/cli/queue-consume.js');
        const r = await consumeQueue(
          {url: flags.url, token: flags.token, ca: this.caPem(), topic: args.topic, group: flags.group!, exec: flags.exec, concurrency: flags.concurrency, nackDelayMs: parseDuration(flags['nack-delay']), max: flags.max, timeoutMs: opts.timeoutMs, signal: ac.signal},
          (m, outcome) => (flags.exec ? this.out(`${m.topic}/${m.partition}@${m.offset} (delivery ${m.delivery_count}): ${outcome}`, {...m, outcome}) : emit(m)),
        );
        if (!r.complete && !ac.signal.aborted) {
          process.stderr.write(`handled ${r.handled} of ${flags.max} message(s) before the timeout\n`);
          this.exit(ExitCode.Timeout);
        }
        return;
      }
      if (flags.group && (flags.partition !== undefined || typeof opts.from === 'number')) {
        throw new UsageError('with --group the group assigns partitions and positions; --partition and --from <offset> do not apply (use mq group reset)');
      }
      const outcome = flags.group
        ? await consumeGroup({url: flags.url, token: flags.token, ca: this.caPem()}, args.topic, flags.group, opts, emit)
        : await consumeByOffset(this.makeClient(flags), args.topic, opts, emit);
      if (!outcome.complete && !ac.signal.aborted) {
        process.stderr.write(`got ${outcome.count} of ${flags.max} message(s) before the timeout\n`);
        this.exit(ExitCode.Timeout);
      }
    } finally {
      process.off('SIGINT', onSigint);
    }
  }
}
