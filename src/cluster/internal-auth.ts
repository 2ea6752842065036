import {createHmac, timingSafeEqual} from 'node:crypto';

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
