import {createHash, randomBytes, timingSafeEqual} from 'node:crypto';

/** Stored tokens: `mq_` and 32 random bytes. Ephemeral ones start with `mqe_` (ephemeral-token.ts). */
export const TOKEN_PREFIX = 'mq_';

export function newTokenSecret(random: (n: number) => Buffer = randomBytes): string {
  return TOKEN_PREFIX + random(32).toString('base64url');
}

/**
 * The stored form: SHA-256. A slow password hash (bcrypt, scrypt) protects low-entropy secrets against guessing once
 * the hashes leak; these secrets are 256 random bits, beyond any guessing, and every request verifies one, so a slow
 * hash would only cost CPU per request.
 */
export function hashToken(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/**
 * The record for a presented secret, found by its hash in one map lookup and confirmed with a constant-time
 * comparison. The lookup's timing depends only on the SHA-256 of what the caller sent, which tells nothing about any
 * stored secret (finding a secret from its hash is a preimage attack), so this is as safe as comparing against every
 * stored hash, and costs the same with 10 tokens or 10,000.
 */
export function lookupByHash<T extends {hash: string}>(index: ReadonlyMap<string, T>, secret: string): T | undefined {
  const h = hashToken(secret);
  const r = index.get(h.toString('hex'));
  return r && timingSafeEqual(Buffer.from(r.hash, 'hex'), h) ? r : undefined;
}

/** Compares a presented secret with a configured one (the admin bootstrap token) in constant time. */
export function secretEquals(presented: string, expected: string): boolean {
  return timingSafeEqual(hashToken(presented), hashToken(expected));
}
