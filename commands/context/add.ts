import path from 'node:path';
import {Args, Flags} from '@oclif/core';
import {MqCommand, jsonFlag} from '../../src/cli/base-command.js';
import {ContextStore} from '../../src/cli/context-store.js';

export default class ContextAdd extends MqCommand {
  static override summary = 'Add (or replace) a named context: a URL, a token and a CA to use together.';
  static override description =
    'Contexts live in contexts.json in the config directory (MQ_CONFIG_DIR, else $XDG_CONFIG_HOME/mq, else ~/.config/mq). ' +
    'Which one a command uses: --url/--context flags, then MQ_URL/MQ_CONTEXT, then .mq-context.json in the current directory (written by mq up), ' +
    'then the selected context (mq context use), then config.json in the config directory, then http://127.0.0.1:7070.';

  static override examples = [
    '<%= config.bin %> context add prod --url http://10.0.0.5:12345 --token s3cr3t --use',
    {description: 'Several URLs: the first is what clients use, all of them are what mq status and mq top show', command: '<%= config.bin %> context add lab --url http://10.0.0.5:7070 --url http://10.0.0.6:7070'},
  ];

  static override args = {name: Args.string({description: 'Context name (letters, digits, . _ -).', required: true, ignoreStdin: true})};
  static override flags = {
    url: Flags.string({description: 'Broker or lb URL; repeat for every node (the first is the one clients use).', required: true, multiple: true}),
    token: Flags.string({description: 'Bearer token sent with every request.'}),
    ca: Flags.string({description: 'CA bundle file for TLS.'}),
    use: Flags.boolean({description: 'Also select it (mq context use).'}),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ContextAdd);
    this.jsonMode = flags.json;
    const urls = flags.url.flatMap((u) => u.split(',')).map((u) => u.trim()).filter(Boolean);
    const store = ContextStore.fromEnv(process.env);
    // the CA file's absolute path, so the context works from any directory
    store.put(args.name, {url: urls[0]!, urls: urls.length > 1 ? urls : undefined, token: flags.token, ca: flags.ca === undefined ? undefined : path.resolve(flags.ca)}, {use: flags.use});
    this.out(`context ${args.name}: ${urls[0]}${flags.use ? ' (selected)' : ''}`, {name: args.name, url: urls[0], urls, current: flags.use, file: store.file});
  }
}
