import fs from 'node:fs';
import {MqError} from '../errors.js';

/**
 * The precedence every mq process resolves its settings with: defaults < a JSON config file < environment variables
 * < flags. Environment values are strings; each is read as the type of its default (number, boolean, a
 * comma-separated list). Validation is the caller's (one zod schema per process).
 */
export interface Layers {
  defaults: Record<string, unknown>;
  keys: readonly string[];
  env: NodeJS.ProcessEnv;
  /** camelCase key → its variable, e.g. MQ_RAFT_TICK_MS or MQ_LB_HEALTH_INTERVAL_MS. */
  envName: (key: string) => string;
  configFile?: string;
  flags?: Record<string, unknown>;
}

/** `prefix` + the key in upper snake case: envNameWith('MQ_')('raftTickMs') is MQ_RAFT_TICK_MS. */
export function envNameWith(prefix: string): (key: string) => string {
  return (key) => `${prefix}${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

export function mergeLayers(l: Layers): Record<string, unknown> {
  const merged: Record<string, unknown> = {...l.defaults};
  if (l.configFile) Object.assign(merged, readConfigFile(l.configFile));
  for (const key of l.keys) {
    const raw = l.env[l.envName(key)];
    if (raw !== undefined) merged[key] = coerceEnv(l.defaults[key], raw);
  }
  for (const [key, value] of Object.entries(l.flags ?? {})) {
    // a flag not given (oclif leaves it undefined, or an empty list for a repeatable one) does not override
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    merged[key] = value;
  }
  return merged;
}

function readConfigFile(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new MqError('INVALID_CONFIG', `cannot read config file ${file}: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new MqError('INVALID_CONFIG', `config file ${file} must hold a JSON object`);
  return parsed as Record<string, unknown>;
}

function coerceEnv(sample: unknown, raw: string): unknown {
  if (Array.isArray(sample)) return raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (typeof sample === 'number') return raw.trim() === '' ? Number.NaN : Number(raw);
  if (typeof sample === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
  }
  return raw;
}
