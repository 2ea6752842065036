import {Args, Flags} from '@oclif/core';
import {MqCommand, UsageError, connectionFlags} from '../src/cli/base-command.js';
import {ExitCode} from '../src/cli/exit-codes.js';
import {ORDER_TOPIC, demoOrder, describeResult, parseHeaders, parseValue, produceLines, requireTopic, resultJson, stdinLines, withTemplate} from '../src/cli/produce.js';
import {isProduceFailure} from '../src/protocol/wire.js';

export default class Produce extends MqCommand {
  static override summary = 'Publish messages to a topic.';
  static override description =
    'Values come from the arguments, or from stdin one per line when there are none and stdin is not a terminal (or with "-"). ' +
    'A value that parses as JSON is sent as JSON; anything else as a string (--text sends everything as strings). ' +
    'Each message is acknowledged once it is on disk; the partition and offset of each are printed.';

  static override examples = [
    {description: 'Publish the seeds\' demo order (topic orders, seq 1..3)', command: '<%= config.bin %> produce --order 123'},
    {description: 'One JSON message with a key', command: '<%= config.bin %> produce orders \'{"order":7,"seq":1}\' --key order-7'},
    {description: 'Many messages from a file, one per line', command: 'cat events.ndjson | <%= config.bin %> produce events'},
    {description: 'Full envelopes (key, id, headers...) per line', command: 'cat envelopes.ndjson | <%= config.bin %> produce events --envelope'},
    {description: 'Idempotent publish: a retry with the same id is not written twice', command: '<%= config.bin %> produce payments \'{"amount":5}\' --id pay-42'},
    {description: 'The demo order, printing each consumer confirm as it arrives', command: '<%= config.bin %> produce --order 123 --wait processed'},
  ];

  static override args = {
    topic: Args.string({description: 'Topic to publish to (created on first use unless the broker disables it).', ignoreStdin: true}),
    values: Args.string({description: 'Values to publish ("-" reads stdin).', ignoreStdin: true}),
  };

  static override strict = false;

  static override flags = {
    key: Flags.string({char: 'k', description: 'Message key: same key, same partition, in order.'}),
    partition: Flags.integer({description: 'Publish to this partition explicitly.', min: 0}),
    header: Flags.string({char: 'H', description: 'Header k=v (repeatable).', multiple: true}),
    priority: Flags.integer({description: 'Priority 0-9 (9 is served first by work queues).', min: 0, max: 9}),
    id: Flags.string({description: 'Message id for de-duplication (one value only).'}),
    producer: Flags.string({description: 'Producer id (e.g. P1); partitions by producer when there is no key or id.'}),
    acks: Flags.string({description: 'all: on disk (and, in a cluster, on a majority); leader: on the leader; 0: fire and forget.', options: ['all', 'leader', '0'], default: 'all'}),
    text: Flags.boolean({description: 'Send values as strings even when they look like JSON.'}),
    envelope: Flags.boolean({description: 'Each stdin line is a full message envelope ({"value":...,"key":...}).'}),
    order: Flags.integer({description: 'Publish the seeds\' demo order N to topic orders (3 messages, seq 1..3).', min: 0}),
    wait: Flags.string({description: 'processed: wait until every queue group on the topic has processed each message, printing each confirm as it comes (exit 3 if not all in time).', options: ['processed']}),
    timeout: Flags.string({description: 'With --wait: how long to wait (default 30s).', default: '30s'}),
    ...connectionFlags,
  };

  async run(): Promise<void> {
    const {args, argv, flags} = await this.parse(Produce);
    this.jsonMode = flags.json;
    const topic = requireTopic(args.topic, flags.order);
    const client = this.makeClient(flags);
    const acks = flags.acks as 'all' | 'leader' | '0';
    const values = (argv as string[]).slice(args.topic ? 1 : 0);
    let failed = 0;
    const report = (r: Parameters<typeof describeResult>[1], m: Parameters<typeof resultJson>[2], prefix = ''): void => {
      if (isProduceFailure(r)) failed++;
      this.out(prefix + describeResult(topic, r), resultJson(topic, r, m));
    };
    if (flags.wait) {
      const {waitProcessed} = await import('../src/cli/produce-wait-command.js');
      const code = await waitProcessed(client, topic, flags, values, (human, json) => this.out(human, json));
      if (code !== 0) this.exit(code);
      return;
    }
    if (flags.order !== undefined) {
      if (values.length > 0) throw new UsageError('--order publishes its own messages; give no values');
      await client.ensureTopic({name: ORDER_TOPIC, partitions: 2});
      for (const m of demoOrder(flags.order)) {
        const r = await client.produceOne(topic, m, {acks});
        const v = m.value as {seq: number; content: string};
        report(r, m, `confirm seq ${v.seq} (${v.content}, id ${m.id}): `);
      }
      return;
    }
    const template = {key: flags.key, id: flags.id, producer: flags.producer, priority: flags.priority, partition: flags.partition, headers: parseHeaders(flags.header)};
    const fromStdin = values.length === 0 ? !process.stdin.isTTY : values.length === 1 && values[0] === '-';
    if (fromStdin) {
      if (flags.id) throw new UsageError('--id names one message; with stdin put ids in envelopes (--envelope)');
      await produceLines({url: flags.url, token: flags.token, ca: this.caPem()}, topic, stdinLines(), {template, asText: flags.text, envelope: flags.envelope, acks}, ({result, message}) => report(result, message));
    } else {
      if (values.length === 0) throw new UsageError('give values to publish, or pipe them on stdin');
      if (flags.id && values.length > 1) throw new UsageError('--id names one message; give one value');
      const messages = values.map((v) => withTemplate(parseValue(v, flags.text), template));
      const results = await client.produce(topic, messages, {acks});
      if (acks === '0') this.out(`accepted ${messages.length} message(s) (acks=0: not confirmed)`, {topic, accepted: messages.length});
      results.forEach((r, i) => report(r, messages[i]!));
    }
    if (failed > 0) this.exit(ExitCode.Error);
  }
}
