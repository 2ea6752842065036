import {Flags} from '@oclif/core';
import {MqCommand, jsonFlag} from '../../src/cli/base-command.js';

export default class BrokerStart extends MqCommand {
  static override summary = 'Start a broker node.';
  static override description =
    'Runs a broker storing its data in SQLite under --data-dir (WAL, fsync before every acknowledgement). ' +
    'Alone by default; with --bootstrap it founds a Raft-replicated cluster with the brokers listed (each started with the same list and --cluster-secret-file). ' +
    'With --detach it starts in the background and returns once it is ready, printing its URL and PID. ' +
    'Every flag also has an MQ_* environment variable (MQ_DATA_DIR, MQ_LISTEN, ...).';

  static override examples = [
    {description: 'Start a broker on the default address, data in ./mq-data', command: '<%= config.bin %> broker start'},
    {description: 'Start in the background and return once ready', command: '<%= config.bin %> broker start --detach'},
    {description: 'Another port and data directory, logs to a file', command: '<%= config.bin %> broker start --listen 127.0.0.1:7080 --data-dir /var/lib/mq --log-file /var/log/mq/broker.log'},
    {
      description: 'Broker 1 of a three-broker cluster (start 2 and 3 the same way, with their own --node-id, addresses and data)',
      command:
        '<%= config.bin %> broker start --node-id 1 --listen 127.0.0.1:7070 --peer-listen 127.0.0.1:7071 --data-dir data1 --bootstrap 1@127.0.0.1:7071,2@127.0.0.1:7171,3@127.0.0.1:7271 --cluster-secret-file cluster.secret',
    },
    {
      description: 'Serve https with a development certificate (made by mq cert dev --out certs)',
      command: '<%= config.bin %> broker start --tls-cert certs/server.crt --tls-key certs/server.key',
    },
    {
      description: 'Listen on every interface with tokens required (make the file with: openssl rand -hex 32 > admin.token)',
      command: '<%= config.bin %> broker start --listen 0.0.0.0:7070 --admin-token-file admin.token',
    },
    {
      description: 'A fourth broker joins the running cluster (it receives the metadata and its partitions, then votes)',
      command: '<%= config.bin %> broker start --node-id 4 --listen 127.0.0.1:7370 --peer-listen 127.0.0.1:7371 --data-dir data4 --join http://127.0.0.1:7070 --cluster-secret-file cluster.secret',
    },
  ];

  static override flags = {
    'data-dir': Flags.string({description: 'Directory for the database (default ./mq-data).'}),
    'in-memory': Flags.boolean({description: 'Keep everything in memory (nothing survives a restart; for tests).', allowNo: false}),
    listen: Flags.string({description: 'Client address host:port (default 127.0.0.1:7070; port 0 picks a free one).'}),
    advertise: Flags.string({description: 'URL clients should use to reach this broker, when it differs from --listen.'}),
    'node-id': Flags.integer({description: 'This broker\'s id (a positive integer, default 1).', min: 1}),
    'peer-listen': Flags.string({description: 'Address for other brokers (Raft traffic) host:port (default 127.0.0.1:7071); opened only in a cluster.'}),
    'peer-advertise': Flags.string({description: 'host:port other brokers should dial, when it differs from --peer-listen.'}),
    bootstrap: Flags.string({description: 'Found a cluster: every founding member as id@peerhost:peerport, comma-separated (this broker among them).'}),
    join: Flags.string({description: 'Join a running cluster through any member\'s client URL (needs --cluster-secret-file and --peer-listen).'}),
    'replace-after': Flags.string({description: 'Re-replicate the partitions of a broker unreachable this long (e.g. 10m; default: never).'}),
    'tls-cert': Flags.string({description: 'Serve the client API over https with this certificate (PEM; with --tls-key). mq cert dev makes one.'}),
    'tls-key': Flags.string({description: 'The private key (PEM) of --tls-cert.'}),
    'peer-tls-cert': Flags.string({description: 'Mutual TLS between brokers: this broker\'s certificate (PEM; with --peer-tls-key and --peer-tls-ca).'}),
    'peer-tls-key': Flags.string({description: 'The private key (PEM) of --peer-tls-cert.'}),
    'peer-tls-ca': Flags.string({description: 'The CA (PEM) that signed every broker\'s peer certificate; peers without one are refused.'}),
    auth: Flags.boolean({description: 'Require a token on every request (on by itself with --admin-token-file or MQ_ADMIN_TOKEN).', allowNo: false}),
    'admin-token-file': Flags.string({description: 'Turn auth on with this bootstrap admin token (first line of the file; or MQ_ADMIN_TOKEN). docs/security.md.'}),
    insecure: Flags.boolean({description: 'Allow a --listen beyond loopback without auth (otherwise the broker refuses to start).', allowNo: false}),
    'public-status': Flags.string({description: 'Serve /status, /metrics, /ui and GET /v1/cluster without a token: auto (when listening on loopback), always, never.', options: ['auto', 'always', 'never']}),
    'ephemeral-ttl-max': Flags.string({description: 'Longest lifetime of an ephemeral read token (default 1h).'}),
    'anonymous-rate': Flags.string({description: 'Produce limit per source address without a token, e.g. 1000/s (default: none).'}),
    'anonymous-bytes-rate': Flags.string({description: 'Produce byte limit per source address without a token, e.g. 10MB/s (default: none).'}),
    'cluster-secret-file': Flags.string({description: 'The secret the brokers of a cluster share (created if missing; kept in the data directory afterwards).'}),
    'unsafe-ack-leader-only': Flags.boolean({description: 'UNSAFE (tests): acknowledge writes once the leader has them, without a majority.', hidden: true}),
    'unsafe-no-dedup': Flags.boolean({description: 'UNSAFE (tests): no de-duplication window on any topic.', hidden: true}),
    'disk-low': Flags.string({description: 'Warn (log, /status, /metrics) when the data directory\'s file system has less free space than this, e.g. 2GiB (default 1GiB).'}),
    'disk-reserve': Flags.string({description: 'Keep a file of this size in the data directory, to delete for room when the disk fills, e.g. 256MiB (default: none).'}),
    'peer-protocol': Flags.string({description: 'Tests: the peer protocol versions to speak, N or MIN-MAX (poses as another release).', hidden: true}),
    detach: Flags.boolean({char: 'd', description: 'Run in the background; return once ready, printing URL and PID.'}),
    'pid-file': Flags.string({description: 'Write the PID here (default <data-dir>/broker.pid).'}),
    'ready-file': Flags.string({description: 'Write {node_id, url, peer_url, pid} as JSON here once ready.'}),
    'log-file': Flags.string({description: 'Log JSON lines to this file instead of stdout.'}),
    'log-level': Flags.string({description: 'Log level.', options: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']}),
    'auto-create-topics': Flags.boolean({description: 'Create a missing topic on first produce.', allowNo: true}),
    'dedup-window': Flags.string({description: 'Default de-duplication window for new topics (e.g. 2m).'}),
    'cors-origin': Flags.string({description: 'Origins (comma-separated, or *) whose web pages may read this broker (SSE streams, fetch). Default: none.'}),
    config: Flags.string({description: 'JSON config file with the same settings (also MQ_CONFIG).'}),
    'unsafe-no-fsync': Flags.boolean({description: 'UNSAFE: do not fsync before acknowledging (acknowledged writes can be lost).'}),
    synchronous: Flags.string({description: 'SQLite synchronous level; below full needs --unsafe-no-fsync.', options: ['full', 'normal', 'off'], hidden: true}),
    ...jsonFlag,
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(BrokerStart);
    this.jsonMode = flags.json;
    // loaded here, not at the top: every mq command imports every command class, and the broker pulls in fastify and SQLite
    const {brokerConfigFromFlags, runDetached, runForeground} = await import('../../src/cli/broker-start.js');
    const config = brokerConfigFromFlags(flags);
    if (!flags.detach) return runForeground(config);
    const d = await runDetached(config, ['broker', 'start', ...this.argv]);
    this.out(`broker started: ${d.ready.url} (pid ${d.pid})`, {url: d.ready.url, pid: d.pid, node_id: d.ready.node_id});
  }
}
