import {createHmac, timingSafeEqual} from 'node:crypto';
import {MqError} from '../errors.js';

export const EPHEMERAL_PREFIX = 'mqe_';

/** What an ephemeral read token allows: streaming one topic (one key of it, if set) until `exp` (epoch ms). */
export interface EphemeralClaims {
  topic: string;
  key?: string;
  exp: number;
  /** The token that asked for it (a stored token's name, or `@admin`): revoking it ends these too. */
  iss: string;
}

function mac(key: Buffer, payload: string): Buffer {
  return createHmac('sha256', key).update('mq-ephemeral-v1\0').update(payload).digest();
}

/** `mqe_<claims as base64url JSON>.<HMAC>`: any broker holding the key verifies it without a lookup. */
export function signEphemeral(key: Buffer, claims: EphemeralClaims): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${EPHEMERAL_PREFIX}${payload}.${mac(key, payload).toString('base64url')}`;
}

export function isEphemeral(token: string): boolean {
  return token.startsWith(EPHEMERAL_PREFIX);
}

/** The claims of a genuine, unexpired token; UNAUTHORIZED if forged or malformed, TOKEN_EXPIRED once past `exp`. */
export function verifyEphemeral(key: Buffer, token: string, nowMs: number): EphemeralClaims {
  const body = token.slice(EPHEMERAL_PREFIX.length);
  const dot = body.indexOf('.');
  const bad = (): MqError => new MqError('UNAUTHORIZED', 'the ephemeral token is not valid');
  if (!isEphemeral(token) || dot < 0) throw bad();
  const payload = body.slice(0, dot);
  const given = Buffer.from(body.slice(dot + 1), 'base64url');
  const want = mac(key, payload);
  if (given.length !== want.length || !timingSafeEqual(given, want)) throw bad();
  let claims: EphemeralClaims;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as EphemeralClaims;
  } catch {
    throw bad();
  }
  if (typeof claims.topic !== 'string' || typeof claims.exp !== 'number' || typeof claims.iss !== 'string') throw bad();
  if (nowMs >= claims.exp) throw new MqError('TOKEN_EXPIRED', `the ephemeral token expired at ${new Date(claims.exp).toISOString()}`, {expired_at: claims.exp});
  return claims;
}
