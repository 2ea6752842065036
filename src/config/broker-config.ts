import {z} from 'zod';
import {MqError} from '../errors.js';
import {DEFAULT_LIMITS} from './limits.js';
import {envNameWith, mergeLayers} from './layered.js';
import {checkTlsSettings} from '../security/tls-settings.js';
import {checkAuthSettings} from '../security/auth-settings.js';

/** Named defaults for every broker setting, in one place. */
export const BROKER_DEFAULTS = {
  dataDir: './mq-data',
  inMemory: false,
  listen: '127.0.0.1:7070',
  peerListen: '127.0.0.1:7071',
  nodeId: 1,
  unsafeAckLeaderOnly: false,
  unsafeNoDedup: false,
  replaceAfterMs: 0,
  logLevel: 'info' as const,
  autoCreateTopics: true,
  unsafeNoFsync: false,
  dedupWindowMs: 120_000,
  retentionCheckMs: 1_000,
  groupCommitMessagesMax: 100_000,
  shutdownTimeoutMs: 10_000,
  sqliteCacheBytes: 64 * 1024 * 1024,
  raftTickMs: 100,
  raftElectionTicks: 10,
  raftHeartbeatTicks: 5,
  groupsPartitions: 4,
  groupsCompactAfter: 10_000,
  groupSessionTimeoutMs: 10_000,
  groupHeartbeatIntervalMs: 3_000,
  streamHeartbeatMs: 15_000,
  corsOrigins: '',
  logFileBytesMax: 100 * 1024 * 1024,
  logFilesKeep: 5,
  statusRateWindowMs: 5_000,
  diskLowBytes: 1024 * 1024 * 1024,
  diskReserveBytes: 0,
  autoscaleMemoryBytes: 4 * 1024 * 1024 * 1024,
  autoscaleCpu: 4,
  auth: false,
  insecure: false,
  publicStatus: 'auto' as const,
  ephemeralTtlMaxMs: 3_600_000,
  anonymousMessagesPerS: 0,
  anonymousBytesPerS: 0,
  ...DEFAULT_LIMITS,
};

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port');
const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();

const limitFields = Object.fromEntries(Object.keys(DEFAULT_LIMITS).map((k) => [k, posInt])) as {
  [K in keyof typeof DEFAULT_LIMITS]: typeof posInt;
};

export const brokerConfigSchema = z.strictObject({
  dataDir: z.string().min(1),
  inMemory: z.boolean(),
  listen: hostPort,
  advertise: z.url().optional(),
  /** Peer (Raft) listener; opened only when the broker is part of a cluster. */
  peerListen: hostPort,
  /** host:port others dial for this broker's peer listener, when it differs from peerListen. */
  peerAdvertise: hostPort.optional(),
  /** Founding members, `id@host:port,...` (this broker among them): forms a new cluster. */
  bootstrap: z.string().optional(),
  /** Join a running cluster through any member's client URL (this broker starts empty and catches up). */
  join: z.url().optional(),
  /** Re-replicate the partitions of a broker unreachable this long (0: never; the operator decides). */
  replaceAfterMs: nonNegInt,
  /** The cluster's shared secret (created if missing); kept in the data directory after the first start. */
  clusterSecretFile: z.string().optional(),
  /** UNSAFE, for tests that prove loss is detected: acknowledge once the leader has written, without a majority. */
  unsafeAckLeaderOnly: z.boolean(),
  /** UNSAFE, for tests that prove duplicates are detected: no de-duplication window on any topic. */
  unsafeNoDedup: z.boolean(),
  nodeId: posInt,
  readyFile: z.string().optional(),
  pidFile: z.string().optional(),
  logFile: z.string().optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  autoCreateTopics: z.boolean(),
  /** Unset: FULL, or OFF with unsafeNoFsync. */
  synchronous: z.enum(['full', 'normal', 'off']).optional(),
  unsafeNoFsync: z.boolean(),
  dedupWindowMs: nonNegInt,
  retentionCheckMs: posInt,
  groupCommitMessagesMax: posInt,
  shutdownTimeoutMs: posInt,
  sqliteCacheBytes: posInt,
  /** Raft timing: one tick, the election timeout (random in [ticks, 2 * ticks) ticks) and the heartbeat interval. */
  raftTickMs: posInt,
  raftElectionTicks: posInt.min(2),
  raftHeartbeatTicks: posInt,
  groupsPartitions: posInt.max(256),
  groupsCompactAfter: posInt,
  groupSessionTimeoutMs: posInt,
  groupHeartbeatIntervalMs: posInt,
  streamHeartbeatMs: posInt,
  /** Comma-separated origins allowed to read streams cross-origin ("*" for any); empty: same-origin only. */
  corsOrigins: z.string(),
  /** --log-file is renamed to <file>.1 once it passes this size (0: never). */
  logFileBytesMax: nonNegInt,
  /** Rotated log files kept (<file>.1 .. <file>.N). */
  logFilesKeep: posInt.max(100),
  /** /status rates (messages, bytes, CPU) are measured over this much recent time. */
  statusRateWindowMs: z.number().int().min(1000).max(600_000),
  /** Free space on the data directory's file system below which the broker warns (log, /status, /metrics). */
  diskLowBytes: nonNegInt,
  /** A file of this size kept in the data directory as room to recover with when the disk fills (0: none). */
  diskReserveBytes: nonNegInt,
  /** Elastic partitions: memory each broker lends to autoscaled topics' partitions (their configured estimates add up to at most this). */
  autoscaleMemoryBytes: nonNegInt,
  /** Elastic partitions: cores each broker lends to autoscaled topics' partitions (the same, for CPU shares). */
  autoscaleCpu: z.number().nonnegative().max(1024),
  /** TLS for the client API (PEM files): both or neither; with them the broker serves https:// only. */
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  /** Mutual TLS between brokers (PEM files): all three or none. Peers must present a certificate signed by peerTlsCa. */
  peerTlsCert: z.string().min(1).optional(),
  peerTlsKey: z.string().min(1).optional(),
  peerTlsCa: z.string().min(1).optional(),
  /** Require a token on every request (docs/security.md); on by itself when an admin token is configured. */
  auth: z.boolean(),
  /** The bootstrap admin token (MQ_ADMIN_TOKEN; no flag, so it never shows in a process list). */
  adminToken: z.string().min(16, 'the admin token must be at least 16 characters').optional(),
  /** A file whose first line is the bootstrap admin token. */
  adminTokenFile: z.string().min(1).optional(),
  /** Allow listening beyond loopback without auth (otherwise the broker refuses to start). */
  insecure: z.boolean(),
  /** /status, /metrics, /ui and GET /v1/cluster without a token: auto (when listening on loopback only), always, never. */
  publicStatus: z.enum(['auto', 'always', 'never']),
  /** Longest lifetime of an ephemeral read token (POST /v1/tokens/ephemeral). */
  ephemeralTtlMaxMs: posInt,
  /** Produce limits per source address for requests without a token (auth off); 0: none. */
  anonymousMessagesPerS: nonNegInt,
  anonymousBytesPerS: nonNegInt,
  /** Hidden, for mixed-version tests: the peer protocol versions this broker speaks, `min-max` (default: this build's). */
  peerProtocol: z.string().regex(/^\d{1,4}(-\d{1,4})?$/, 'expected a version or min-max, e.g. 1-2').optional(),
  ...limitFields,
});

export type BrokerConfig = Readonly<z.infer<typeof brokerConfigSchema>>;
type Key = keyof z.infer<typeof brokerConfigSchema>;

/** MQ_DATA_DIR for dataDir: every setting has an environment variable derived from its name. */
export const envName = envNameWith('MQ_');

export interface ConfigSources {
  /** Explicit flags (highest precedence); undefined values are ignored. */
  flags?: Partial<Record<Key, unknown>>;
  env?: NodeJS.ProcessEnv;
  /** A JSON file with the same keys (MQ_CONFIG or --config). */
  configFile?: string;
}

/** Defaults < config file < environment < flags, validated once and frozen. */
export function resolveBrokerConfig(sources: ConfigSources = {}): BrokerConfig {
  const env = sources.env ?? {};
  const merged = mergeLayers({
    defaults: BROKER_DEFAULTS,
    keys: Object.keys(brokerConfigSchema.shape),
    env,
    envName,
    configFile: sources.configFile ?? env.MQ_CONFIG,
    flags: sources.flags,
  });
  const result = brokerConfigSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.join('.') || 'config';
    throw new MqError('INVALID_CONFIG', `invalid setting ${where} (${envName(String(issue.path[0] ?? ''))}): ${issue.message}`, {
      issues: result.error.issues.map((i) => ({path: i.path.join('.'), message: i.message})),
    });
  }
  if (result.data.raftHeartbeatTicks >= result.data.raftElectionTicks) {
    throw new MqError('INVALID_CONFIG', `invalid setting raftHeartbeatTicks (MQ_RAFT_HEARTBEAT_TICKS): must be less than raftElectionTicks (${result.data.raftElectionTicks})`);
  }
  checkTlsSettings(result.data);
  checkAuthSettings(result.data);
  return Object.freeze(result.data);
}

export function parseHostPort(listen: string): {host: string; port: number} {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return {host, port: Number(listen.slice(i + 1))};
}
