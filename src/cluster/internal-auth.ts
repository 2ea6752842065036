import {createHash, createHmac, timingSafeEqual} from 'node:crypto';

/** The header that proves a request comes from a broker of this cluster (an HMAC with the cluster secret). */
export const INTERNAL_AUTH = 'x-mq-internal-auth';

/** A MAC over what a broker writes to an internal topic (`__receipts`, ...) on another broker: topic, then body. */
export function internalWriteMac(secret: Buffer, topic: string, body: string | Buffer): string {
  return createHmac('sha256', secret).update('mq-internal-write\0').update(topic).update('\0').update(body).digest('hex');
}

export function verifyInternalWrite(secret: Buffer | undefined, topic: string, body: Buffer, mac: unknown): boolean {
  if (!secret || typeof mac !== 'string' || !/^[0-9a-f]{64}$/.test(mac)) return false;
  return timingSafeEqual(Buffer.from(internalWriteMac(secret, topic, body), 'hex'), Buffer.from(mac, 'hex'));
}

/**
 * The header on a request one broker makes to another's client listener (forwarding, remote reads, queue fan-out,
 * internal topic creation): `<epoch ms>.<HMAC of method, path, time and the body's SHA-256>` with the cluster secret.
 * With auth on, the receiver trusts such a request as already authorized by the sender (docs/security.md).
 */
export const PEER_AUTH = 'x-mq-peer-auth';
/** How far a signed request's time may be from the receiver's clock. */
export const PEER_AUTH_SKEW_MS = 5 * 60_000;

function peerMac(secret: Buffer, method: string, path: string, at: number, body: Buffer | string | undefined): Buffer {
  const bodyHash = createHash('sha256').update(body ?? '').digest('hex');
  return createHmac('sha256', secret).update('mq-peer-request\0').update(`${method.toUpperCase()}\0${path}\0${at}\0${bodyHash}`).digest();
}

export function signPeerRequest(secret: Buffer, method: string, path: string, body: Buffer | string | undefined, nowMs: number): string {
  return `${nowMs}.${peerMac(secret, method, path, nowMs, body).toString('hex')}`;
}

export function verifyPeerRequest(secret: Buffer | undefined, method: string, path: string, body: Buffer | undefined, header: unknown, nowMs: number): boolean {
  if (!secret || typeof header !== 'string') return false;
  const m = /^(\d{1,16})\.([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const at = Number(m[1]);
  if (Math.abs(nowMs - at) > PEER_AUTH_SKEW_MS) return false;
  return timingSafeEqual(peerMac(secret, method, path, at, body), Buffer.from(m[2]!, 'hex'));
}

/** A key for one purpose derived from the cluster secret (the secret itself is never used for two things). */
export function deriveKey(secret: Buffer, label: string): Buffer {
  return createHmac('sha256', secret).update('mq-derive-key\0').update(label).digest();
}
