import path from 'node:path';
import {resolveBrokerConfig, type BrokerConfig} from '../config/index.js';
import {runBrokerProcess} from '../server/broker-process.js';
import {VERSION} from '../version.js';
import {parseBytes, parseDuration} from './duration.js';
import {startDetached, type Detached} from './detach.js';
import {parseRate} from '../security/rate-limit-parse.js';

export interface BrokerStartFlags {
  'data-dir'?: string;
  'in-memory'?: boolean;
  listen?: string;
  advertise?: string;
  'node-id'?: number;
  'pid-file'?: string;
  'ready-file'?: string;
  'log-file'?: string;
  'log-level'?: string;
  'auto-create-topics'?: boolean;
  'dedup-window'?: string;
  'cors-origin'?: string;
  'unsafe-no-fsync'?: boolean;
  synchronous?: string;
  config?: string;
  'peer-listen'?: string;
  'peer-advertise'?: string;
  bootstrap?: string;
  'cluster-secret-file'?: string;
  'unsafe-ack-leader-only'?: boolean;
  'unsafe-no-dedup'?: boolean;
  'peer-protocol'?: string;
  'disk-low'?: string;
  'disk-reserve'?: string;
  join?: string;
  'replace-after'?: string;
  auth?: boolean;
  'admin-token-file'?: string;
  insecure?: boolean;
  'public-status'?: string;
  'ephemeral-ttl-max'?: string;
  'anonymous-rate'?: string;
  'anonymous-bytes-rate'?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  'peer-tls-cert'?: string;
  'peer-tls-key'?: string;
  'peer-tls-ca'?: string;
}

/** Flags > MQ_* environment > config file > defaults, through the one broker config schema. */
export function brokerConfigFromFlags(flags: BrokerStartFlags): BrokerConfig {
  return resolveBrokerConfig({
    configFile: flags.config,
    env: process.env,
    flags: {
      dataDir: flags['data-dir'],
      inMemory: flags['in-memory'],
      listen: flags.listen,
      advertise: flags.advertise,
      nodeId: flags['node-id'],
      pidFile: flags['pid-file'],
      readyFile: flags['ready-file'],
      logFile: flags['log-file'],
      logLevel: flags['log-level'],
      autoCreateTopics: flags['auto-create-topics'],
      dedupWindowMs: flags['dedup-window'] === undefined ? undefined : parseDuration(flags['dedup-window']),
      unsafeNoFsync: flags['unsafe-no-fsync'],
      synchronous: flags.synchronous,
      corsOrigins: flags['cors-origin'],
      peerListen: flags['peer-listen'],
      peerAdvertise: flags['peer-advertise'],
      bootstrap: flags.bootstrap,
      clusterSecretFile: flags['cluster-secret-file'],
      unsafeAckLeaderOnly: flags['unsafe-ack-leader-only'],
      unsafeNoDedup: flags['unsafe-no-dedup'],
      peerProtocol: flags['peer-protocol'],
      diskLowBytes: flags['disk-low'] === undefined ? undefined : parseBytes(flags['disk-low']),
      diskReserveBytes: flags['disk-reserve'] === undefined ? undefined : parseBytes(flags['disk-reserve']),
      join: flags.join,
      replaceAfterMs: flags['replace-after'] === undefined ? undefined : parseDuration(flags['replace-after']),
      auth: flags.auth,
      adminTokenFile: flags['admin-token-file'],
      insecure: flags.insecure,
      publicStatus: flags['public-status'],
      ephemeralTtlMaxMs: flags['ephemeral-ttl-max'] === undefined ? undefined : parseDuration(flags['ephemeral-ttl-max']),
      anonymousMessagesPerS: flags['anonymous-rate'] === undefined ? undefined : parseRate(flags['anonymous-rate']),
      anonymousBytesPerS: flags['anonymous-bytes-rate'] === undefined ? undefined : parseRate(flags['anonymous-bytes-rate'], {bytes: true}),
      tlsCert: flags['tls-cert'],
      tlsKey: flags['tls-key'],
      peerTlsCert: flags['peer-tls-cert'],
      peerTlsKey: flags['peer-tls-key'],
      peerTlsCa: flags['peer-tls-ca'],
    },
  });
}

/** Runs the broker in this process until it is stopped. Logs go to stdout (or --log-file); this line to stderr. */
export async function runForeground(config: BrokerConfig): Promise<void> {
  const proc = await runBrokerProcess(config);
  const where = config.inMemory ? 'in memory' : `data in ${path.resolve(config.dataDir)}`;
  const peers = proc.peerUrl ? `, peers on ${proc.peerUrl}` : '';
  process.stderr.write(`mq broker ${VERSION} node ${config.nodeId} listening on ${proc.url}${peers} (${where}, pid ${process.pid})\n`);
  await proc.stopped;
}

/** Re-runs this command in the background without --detach; returns once the broker is ready. */
export async function runDetached(config: BrokerConfig, argv: string[], timeoutMs = 30_000): Promise<Detached> {
  const args = argv.filter((a) => a !== '--detach' && a !== '-d');
  const logFile = config.logFile ?? path.join(config.inMemory ? '.' : config.dataDir, 'broker.log');
  return startDetached(args, logFile, timeoutMs);
}
