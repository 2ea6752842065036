import {Flags} from '@oclif/core';
import {MqCommand, UsageError, connectionFlags} from '../src/cli/base-command.js';
import {parseDuration} from '../src/cli/duration.js';

export default class Top extends MqCommand {
  static override summary = 'A live dashboard of brokers, topics and groups in the terminal.';
  static override description =
    'Polls /status of every --url and shows brokers, partitions (rates with trends, lag) and consumer groups. ' +
    'Keys: tab or 1 2 3 switch views, s sorts, p pauses, i shows internal topics, q quits. ' +
    'Needs an interactive terminal; for plain text that refreshes, use mq status --watch.';

  static override examples = ['<%= config.bin %> top', '<%= config.bin %> top --url http://10.0.0.5:7070 --url http://10.0.0.6:7070 --interval 1s'];

  static override flags = {
    url: Flags.string({description: 'Broker URL; repeat (or comma-separate) for several.', env: 'MQ_URL', default: ['http://127.0.0.1:7070'], multiple: true, helpGroup: 'GLOBAL'}),
    token: connectionFlags.token,
    ca: connectionFlags.ca,
    context: connectionFlags.context,
    interval: Flags.string({description: 'How often to refresh.', default: '2s'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Top);
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      process.stderr.write('mq top needs an interactive terminal (stdin and stdout must be a TTY).\nFor plain text that refreshes, use: mq status --watch\n');
      return this.exit(1);
    }
    let intervalMs: number;
    try {
      intervalMs = Math.max(200, parseDuration(flags.interval));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    // a terminal is interactive whatever the environment says: with CI set, Ink would draw only the last frame
    if (process.env.CI !== undefined) process.env.CI = 'false';
    // loaded here, not at the top: every mq command imports every command class, and Ink + React take ~0.5 s to load
    const [{runTop}, {splitUrls}] = await Promise.all([import('../src/tui/run-top.js'), import('../src/observe/snapshots.js')]);
    await runTop({urls: splitUrls(flags.url), token: flags.token, ca: this.caPem(), intervalMs, upDataDir: this.connection?.dataDir});
  }
}
