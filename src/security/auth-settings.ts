import fs from 'node:fs';
import type {BrokerConfig} from '../config/broker-config.js';
import {MqError} from '../errors.js';

type AuthConfig = Pick<BrokerConfig, 'auth' | 'adminToken' | 'adminTokenFile' | 'insecure' | 'publicStatus' | 'listen'>;

function hostOf(listen: string): string {
  return listen.slice(0, listen.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1');
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The bootstrap admin token: MQ_ADMIN_TOKEN, else the first line of --admin-token-file. */
export function adminTokenOf(config: AuthConfig): string | undefined {
  if (config.adminToken) return config.adminToken;
  if (!config.adminTokenFile) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(config.adminTokenFile, 'utf8');
  } catch (error) {
    throw new MqError('INVALID_CONFIG', `cannot read the admin token file ${config.adminTokenFile}: ${(error as Error).message}`);
  }
  const token = text.split(/\r?\n/)[0]!.trim();
  if (token.length < 16) throw new MqError('INVALID_CONFIG', `the admin token in ${config.adminTokenFile} is shorter than 16 characters`);
  return token;
}

export function authEnabled(config: AuthConfig): boolean {
  return config.auth || config.adminToken !== undefined || config.adminTokenFile !== undefined;
}

/** Whether /status, /metrics, /ui and GET /v1/cluster answer without a token. */
export function statusIsPublic(config: AuthConfig): boolean {
  if (config.publicStatus === 'always') return true;
  if (config.publicStatus === 'never') return false;
  return isLoopbackHost(hostOf(config.listen));
}

/**
 * Safe by default: a broker reachable from other machines without auth would let anyone write, read and delete, so
 * it refuses to start unless told `--insecure`. Also reads the admin token file once, so a bad one fails the start.
 */
export function checkAuthSettings(config: AuthConfig): void {
  adminTokenOf(config);
  if (authEnabled(config) || config.insecure || isLoopbackHost(hostOf(config.listen))) return;
  throw new MqError(
    'INVALID_CONFIG',
    `refusing to listen on ${config.listen} without authentication: anyone who can reach it could read, write and delete. ` +
      'Set an admin token (--admin-token-file FILE or MQ_ADMIN_TOKEN; docs/security.md), listen on 127.0.0.1, or pass --insecure',
  );
}
