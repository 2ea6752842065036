import {randomBytes} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type {Broker} from '../broker/broker.js';
import type {TokenRecord} from '../cluster/metadata/metadata-state.js';
import {MqError} from '../errors.js';
import {adminTokenOf, authEnabled, statusIsPublic} from './auth-settings.js';
import {isEphemeral, signEphemeral, verifyEphemeral, type EphemeralClaims} from './ephemeral-token.js';
import {allows, parseGrants, type Grant} from './grants.js';
import {RateLimiter, type RateLimits, type RateLimitStatus} from './rate-limit.js';
import {lookupByHash, secretEquals} from './token-secret.js';

/** Who a request acts for. */
export type Principal =
  /** Auth is off: everyone may do everything; produce limits apply per source address. */
  | {kind: 'anonymous'; source: string}
  /** Another broker of this cluster (a signed request): it authorized the request already. */
  | {kind: 'peer'}
  | {kind: 'token'; name: string; grants: Grant[]; limits: RateLimits}
  | {kind: 'ephemeral'; claims: EphemeralClaims};

/** The bootstrap admin token's name in ephemeral tokens' `iss` and in rate-limit status. */
export const ADMIN_NAME = '@admin';
const ADMIN_GRANTS = parseGrants(['admin']);
const KEY_FILE = 'auth.key';

export interface AuthStatus {
  enabled: boolean;
  public_status: boolean;
  tokens: number;
  unauthorized: number;
  forbidden: number;
  rate_limited: number;
  anonymous_limits: {messages_per_s: number | null; bytes_per_s: number | null};
  limits: RateLimitStatus[];
}

/**
 * This broker's side of auth: verifying tokens against the replicated token records (read at each request, so a
 * revoke applies as soon as this broker applies it), issuing and verifying ephemeral read tokens, and produce limits.
 */
export class AuthService {
  readonly enabled: boolean;
  readonly statusPublic: boolean;
  readonly limiter: RateLimiter;
  readonly counts = {unauthorized: 0, forbidden: 0};
  private readonly adminToken: string | undefined;
  private key: Buffer | undefined;

  constructor(readonly broker: Broker) {
    this.enabled = authEnabled(broker.config);
    this.statusPublic = statusIsPublic(broker.config);
    this.adminToken = adminTokenOf(broker.config);
    this.limiter = new RateLimiter(broker.clock);
  }

  private get tokens(): Map<string, TokenRecord> {
    // the metadata state object is replaced when a snapshot is installed: look it up each time
    return this.broker.metadata.state.tokens;
  }

  /** The principal a bearer token stands for; UNAUTHORIZED (or TOKEN_EXPIRED) if it stands for none. */
  authenticate(token: string): Principal {
    if (isEphemeral(token)) {
      const claims = verifyEphemeral(this.signingKey(), token, this.broker.clock.now());
      if (!this.issuerMayRead(claims)) throw this.unauthorized('the token that issued this ephemeral token was revoked or lost its grant');
      return {kind: 'ephemeral', claims};
    }
    const record = lookupByHash(this.broker.metadata.state.tokensByHash, token);
    const admin = this.adminToken !== undefined && secretEquals(token, this.adminToken);
    if (admin) return {kind: 'token', name: ADMIN_NAME, grants: ADMIN_GRANTS, limits: {}};
    if (!record) throw this.unauthorized('the token is not valid (unknown or revoked)');
    return {kind: 'token', name: record.name, grants: parseGrants(record.grants), limits: {messagesPerS: record.messagesPerS, bytesPerS: record.bytesPerS}};
  }

  unauthorized(message: string): MqError {
    this.counts.unauthorized++;
    return new MqError('UNAUTHORIZED', message);
  }

  private issuerMayRead(c: EphemeralClaims): boolean {
    if (c.iss === ADMIN_NAME) return this.adminToken !== undefined;
    const r = this.tokens.get(c.iss);
    return r !== undefined && allows(parseGrants(r.grants), 'consume', c.topic);
  }

  /** An ephemeral read token for `topic` (and `key`), valid for `ttlMs` capped at --ephemeral-ttl-max. */
  issueEphemeral(issuer: string, topic: string, key: string | undefined, ttlMs: number): {token: string; claims: EphemeralClaims; ttlMs: number} {
    const ttl = Math.min(ttlMs, this.broker.config.ephemeralTtlMaxMs);
    const claims: EphemeralClaims = {topic, ...(key !== undefined ? {key} : {}), exp: this.broker.clock.now() + ttl, iss: issuer};
    return {token: signEphemeral(this.signingKey(), claims), claims, ttlMs: ttl};
  }

  /**
   * The ephemeral tokens' HMAC key: derived from the cluster secret, so every broker verifies any broker's tokens; a
   * single broker keeps a random one in its data directory (a new one in memory each start with --in-memory).
   */
  private signingKey(): Buffer {
    if (this.key) return this.key;
    const derived = this.broker.membership.derivedKey('ephemeral-tokens');
    if (derived) return (this.key = derived);
    const {dataDir, inMemory} = this.broker.config;
    if (inMemory) return (this.key = randomBytes(32));
    const file = path.join(dataDir, KEY_FILE);
    if (!fs.existsSync(file)) {
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, randomBytes(32).toString('hex') + '\n', {mode: 0o600});
      fs.renameSync(tmp, file);
    }
    return (this.key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex'));
  }

  anonymousLimits(): RateLimits {
    return {messagesPerS: this.broker.config.anonymousMessagesPerS, bytesPerS: this.broker.config.anonymousBytesPerS};
  }

  status(): AuthStatus {
    const anon = this.anonymousLimits();
    return {
      enabled: this.enabled,
      public_status: this.statusPublic,
      tokens: this.tokens.size,
      unauthorized: this.counts.unauthorized,
      forbidden: this.counts.forbidden,
      rate_limited: this.limiter.rejected,
      anonymous_limits: {messages_per_s: anon.messagesPerS || null, bytes_per_s: anon.bytesPerS || null},
      limits: this.limiter.status(),
    };
  }
}

const services = new WeakMap<Broker, AuthService>();

export function authFor(broker: Broker): AuthService {
  let s = services.get(broker);
  if (!s) services.set(broker, (s = new AuthService(broker)));
  return s;
}
