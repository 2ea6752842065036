import {parseDuration} from '../cli/duration.js';
import {resolveLbConfig, type LbConfig} from './lb-config.js';

export interface LbFlags {
  listen?: string;
  advertise?: string;
  upstream?: string[];
  discover?: string[];
  strategy?: string;
  'health-interval'?: string;
  'health-timeout'?: string;
  rise?: number;
  fall?: number;
  'max-fails'?: number;
  'fail-timeout'?: string;
  retries?: number;
  'drain-timeout'?: string;
  config?: string;
  'ready-file'?: string;
  'pid-file'?: string;
  'log-file'?: string;
  'log-level'?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  ca?: string;
}

const ms = (v: string | undefined): number | undefined => (v === undefined ? undefined : parseDuration(v));
/** `--upstream a --upstream b,c` → [a, b, c] */
const urls = (v: string[] | undefined): string[] | undefined => v?.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);

/** Flags > MQ_LB_* environment > config file > defaults. */
export function lbConfigFromFlags(flags: LbFlags, env: NodeJS.ProcessEnv = process.env): LbConfig {
  return resolveLbConfig({
    configFile: flags.config,
    env,
    flags: {
      listen: flags.listen,
      advertise: flags.advertise,
      upstreams: urls(flags.upstream),
      discover: urls(flags.discover),
      strategy: flags.strategy,
      healthIntervalMs: ms(flags['health-interval']),
      healthTimeoutMs: ms(flags['health-timeout']),
      healthRise: flags.rise,
      healthFall: flags.fall,
      maxFails: flags['max-fails'],
      failTimeoutMs: ms(flags['fail-timeout']),
      retries: flags.retries,
      drainTimeoutMs: ms(flags['drain-timeout']),
      readyFile: flags['ready-file'],
      pidFile: flags['pid-file'],
      logFile: flags['log-file'],
      logLevel: flags['log-level'],
      tlsCert: flags['tls-cert'],
      tlsKey: flags['tls-key'],
      ca: flags.ca,
    },
  });
}
