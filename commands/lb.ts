import {Flags} from '@oclif/core';
import {MqCommand, UsageError, jsonFlag} from '../src/cli/base-command.js';

export default class Lb extends MqCommand {
  static override summary = 'Run a load balancer in front of brokers.';
  static override description =
    'Spreads requests over the brokers (round-robin or least-in-flight), checks their /ready, takes out the ones that fail and retries on another broker ' +
    'only what is safe to repeat: reads, and produces whose messages all carry ids. Streams (SSE, long-polls) pass through unbuffered. ' +
    'Serves its own /health, /ready and /status (for mq status and mq top). SIGTERM drains it. Every setting also has an MQ_LB_* variable.';

  static override examples = [
    {description: 'Three brokers behind one address', command: '<%= config.bin %> lb --listen 127.0.0.1:12345 --upstream http://127.0.0.1:1170 --upstream http://127.0.0.1:2170 --upstream http://127.0.0.1:3170'},
    {description: 'Follow the cluster\'s membership instead of a fixed list', command: '<%= config.bin %> lb --discover http://127.0.0.1:1170 --strategy least-in-flight'},
    {description: 'https in front of https brokers whose certificates a private CA signed (mq cert dev --out certs)', command: '<%= config.bin %> lb --tls-cert certs/server.crt --tls-key certs/server.key --ca certs/ca.crt --upstream https://127.0.0.1:1170'},
    {description: 'Faster health checks', command: '<%= config.bin %> lb --discover http://127.0.0.1:1170 --health-interval 500ms --fall 2 --rise 2'},
  ];

  static override flags = {
    listen: Flags.string({description: 'Address to listen on, host:port (default 127.0.0.1:12345; port 0 picks a free one).'}),
    advertise: Flags.string({description: 'URL to report as the lb\'s own, when it differs from --listen.'}),
    upstream: Flags.string({description: 'A broker URL; repeat (or comma-separate) for several.', multiple: true}),
    discover: Flags.string({description: 'Follow the cluster\'s brokers from GET /v1/cluster of this broker URL (repeatable).', multiple: true}),
    strategy: Flags.string({description: 'How to pick a broker.', options: ['round-robin', 'least-in-flight']}),
    'health-interval': Flags.string({description: 'How often to check each broker\'s /ready (default 1s).'}),
    'health-timeout': Flags.string({description: 'A check that takes longer fails (default 1s).'}),
    rise: Flags.integer({description: 'Good checks in a row that bring a broker back (default 2).', min: 1}),
    fall: Flags.integer({description: 'Failed checks in a row that take a broker out (default 2).', min: 1}),
    'max-fails': Flags.integer({description: 'Failed requests within --fail-timeout that take a broker out for --fail-timeout (default 1).', min: 1}),
    'fail-timeout': Flags.string({description: 'Window and length of a passive ejection (default 10s).'}),
    retries: Flags.integer({description: 'Further brokers to try for a request that is safe to repeat (default 2).', min: 0, max: 10}),
    'tls-cert': Flags.string({description: 'Serve https with this certificate (PEM; with --tls-key).'}),
    'tls-key': Flags.string({description: 'The private key (PEM) of --tls-cert.'}),
    ca: Flags.string({description: 'CA certificate (PEM) that signed the brokers\' https certificates (trusted besides the system\'s roots).'}),
    'drain-timeout': Flags.string({description: 'How long SIGTERM waits for requests in flight (default 10s).'}),
    config: Flags.string({description: 'JSON config file with the same settings (also MQ_LB_CONFIG).'}),
    detach: Flags.boolean({char: 'd', description: 'Run in the background; return once listening, printing URL and PID.'}),
    'ready-file': Flags.string({description: 'Write {role, url, pid} as JSON here once listening.'}),
    'pid-file': Flags.string({description: 'Write the PID here.'}),
    'log-file': Flags.string({description: 'Log JSON lines to this file instead of stdout.'}),
    'log-level': Flags.string({description: 'Log level.', options: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']}),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Lb);
    this.jsonMode = flags.json;
    // loaded here, not at the top: every mq command imports every command class
    const {lbConfigFromFlags, runLbProcess} = await import('../src/lb/lb-command.js');
    let config;
    try {
      config = lbConfigFromFlags(flags);
    } catch (error) {
      if (error instanceof Error && /invalid duration/.test(error.message)) throw new UsageError(error.message);
      throw error;
    }
    if (flags.detach) {
      const {startDetached} = await import('../src/cli/detach.js');
      const d = await startDetached(['lb', ...this.argv.filter((a) => a !== '--detach' && a !== '-d')], config.logFile ?? 'mq-lb.log', 30_000);
      return this.out(`lb started: ${d.ready.url} (pid ${d.pid})`, {url: d.ready.url, pid: d.pid});
    }
    const proc = await runLbProcess(config);
    process.stderr.write(`mq lb listening on ${proc.lb.url} in front of ${proc.lb.upstreams.list.map((u) => u.url).join(', ') || '(discovering)'} (pid ${process.pid})\n`);
    await proc.stopped;
  }
}
