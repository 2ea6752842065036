import {z} from 'zod';
import {envNameWith, mergeLayers} from '../config/layered.js';
import {MqError} from '../errors.js';
import {checkLbTls} from './lb-tls.js';

/**
 * Named defaults for every `mq lb` setting. Health and ejection follow nginx's vocabulary: an upstream is checked
 * every `healthIntervalMs` (GET /ready, `healthTimeoutMs`), goes down after `healthFall` failed checks in a row and
 * comes back after `healthRise` good ones; passively, `maxFails` failed requests within `failTimeoutMs` eject it for
 * `failTimeoutMs` (nginx's max_fails=1 fail_timeout=10s).
 */
export const LB_DEFAULTS = {
  listen: '127.0.0.1:12345',
  upstreams: [] as string[],
  discover: [] as string[],
  strategy: 'round-robin' as 'round-robin' | 'least-in-flight',
  healthIntervalMs: 1000,
  healthTimeoutMs: 1000,
  healthRise: 2,
  healthFall: 2,
  maxFails: 1,
  failTimeoutMs: 10_000,
  /** Extra attempts on other upstreams for requests that are safe to repeat. */
  retries: 2,
  retryBackoffMs: 50,
  discoverIntervalMs: 2000,
  connectTimeoutMs: 2000,
  /** Time to an upstream's response headers; above the broker's longest long-poll (waitMsMax 30 s). */
  upstreamHeadersTimeoutMs: 60_000,
  /** Longest silence inside a response body: SSE streams send a heartbeat every 15 s by default. */
  streamIdleTimeoutMs: 300_000,
  /** Keep-alive connections per upstream (undici Pool). */
  upstreamConnections: 64,
  requestBytesMax: 16 * 1024 * 1024,
  headerBytesMax: 16 * 1024,
  /** Time a client has to send a whole request (headers and body). */
  requestTimeoutMs: 60_000,
  /** Time a client has to send a request's head (slowloris: a trickled head is cut off). */
  headersTimeoutMs: 20_000,
  keepAliveTimeoutMs: 65_000,
  connectionsMax: 10_000,
  /** How long a graceful stop (SIGTERM) waits for in-flight requests. */
  drainTimeoutMs: 10_000,
  statusRateWindowMs: 5000,
  logLevel: 'info' as const,
};

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port');
const posInt = z.number().int().positive();
const httpUrl = z.url({protocol: /^https?$/}).transform((u) => u.replace(/\/+$/, ''));

export const lbConfigSchema = z.strictObject({
  listen: hostPort,
  /** The URL others should use for the lb, when it differs from listen (reported in /status). */
  advertise: z.url().optional(),
  upstreams: z.array(httpUrl),
  /** Follow the cluster's membership from GET /v1/cluster of these brokers (and of every upstream learnt). */
  discover: z.array(httpUrl),
  strategy: z.enum(['round-robin', 'least-in-flight']),
  healthIntervalMs: posInt,
  healthTimeoutMs: posInt,
  healthRise: posInt,
  healthFall: posInt,
  maxFails: posInt,
  failTimeoutMs: posInt,
  retries: z.number().int().min(0).max(10),
  retryBackoffMs: z.number().int().nonnegative(),
  discoverIntervalMs: posInt,
  connectTimeoutMs: posInt,
  upstreamHeadersTimeoutMs: posInt,
  streamIdleTimeoutMs: posInt,
  upstreamConnections: posInt.max(10_000),
  requestBytesMax: posInt,
  headerBytesMax: z.number().int().min(1024).max(1024 * 1024),
  requestTimeoutMs: posInt,
  headersTimeoutMs: posInt,
  keepAliveTimeoutMs: posInt,
  connectionsMax: posInt,
  drainTimeoutMs: posInt,
  statusRateWindowMs: z.number().int().min(1000).max(600_000),
  readyFile: z.string().optional(),
  pidFile: z.string().optional(),
  logFile: z.string().optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  /** Serve https with this certificate and key (PEM files; both or neither). */
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  /** CA (PEM file) that signed the brokers' https certificates, trusted besides the system's roots. */
  ca: z.string().min(1).optional(),
});

export type LbConfig = Readonly<z.infer<typeof lbConfigSchema>>;
type Key = keyof z.infer<typeof lbConfigSchema>;

/** MQ_LB_HEALTH_INTERVAL_MS for healthIntervalMs: the lb's variables never collide with the broker's MQ_LISTEN etc. */
export const lbEnvName = envNameWith('MQ_LB_');

export interface LbConfigSources {
  flags?: Partial<Record<Key, unknown>>;
  env?: NodeJS.ProcessEnv;
  /** A JSON file with the same keys (--config or MQ_LB_CONFIG). */
  configFile?: string;
}

/** Defaults < config file < MQ_LB_* environment < flags, validated once and frozen (the broker's precedence). */
export function resolveLbConfig(sources: LbConfigSources = {}): LbConfig {
  const env = sources.env ?? {};
  const merged = mergeLayers({
    defaults: LB_DEFAULTS,
    keys: Object.keys(lbConfigSchema.shape),
    env,
    envName: lbEnvName,
    configFile: sources.configFile ?? env.MQ_LB_CONFIG,
    flags: sources.flags,
  });
  const result = lbConfigSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = String(issue.path[0] ?? '');
    throw new MqError('INVALID_CONFIG', `invalid lb setting ${issue.path.join('.') || 'config'} (${lbEnvName(key)}): ${issue.message}`);
  }
  const cfg = result.data;
  if (cfg.upstreams.length === 0 && cfg.discover.length === 0) throw new MqError('INVALID_CONFIG', 'the lb needs at least one --upstream URL or a --discover URL');
  checkLbTls(cfg);
  if (cfg.healthTimeoutMs > cfg.healthIntervalMs) throw new MqError('INVALID_CONFIG', `healthTimeoutMs (${cfg.healthTimeoutMs}) must not exceed healthIntervalMs (${cfg.healthIntervalMs})`);
  return Object.freeze({...cfg, upstreams: [...new Set(cfg.upstreams)], discover: [...new Set(cfg.discover)]});
}
