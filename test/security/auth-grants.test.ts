import {describe, expect, test} from 'vitest';
import {signEphemeral, verifyEphemeral} from '../../src/security/ephemeral-token.js';
import {allows, formatGrant, parseGrant, parseGrants} from '../../src/security/grants.js';
import {hashToken, lookupByHash, newTokenSecret} from '../../src/security/token-secret.js';
import {checkAuthSettings, isLoopbackHost, statusIsPublic} from '../../src/security/auth-settings.js';
import {PEER_AUTH_SKEW_MS, signPeerRequest, verifyPeerRequest} from '../../src/cluster/internal-auth.js';

describe('auth - grant matcher', () => {
  test('auth - exact names match only themselves', () => {
    const g = parseGrants(['produce:orders']);
    expect(allows(g, 'produce', 'orders')).toBe(true);
    expect(allows(g, 'produce', 'orders2')).toBe(false);
    expect(allows(g, 'consume', 'orders')).toBe(false);
    expect(allows(g, 'admin', null)).toBe(false);
  });

  test('auth - a trailing * is a prefix; * alone is every (non-internal) name', () => {
    const g = parseGrants(['consume:orders*', 'produce:*']);
    expect(allows(g, 'consume', 'orders')).toBe(true);
    expect(allows(g, 'consume', 'orders.eu')).toBe(true);
    expect(allows(g, 'consume', 'order')).toBe(false);
    expect(allows(g, 'produce', 'anything')).toBe(true);
    // internal topics need a grant that names them
    expect(allows(g, 'produce', '__receipts')).toBe(false);
    expect(allows(parseGrants(['consume:__*']), 'consume', '__groups')).toBe(true);
  });

  test('auth - admin implies every action; cluster-wide operations need admin on *', () => {
    const all = parseGrants(['admin']);
    for (const a of ['produce', 'consume', 'receipts', 'admin'] as const) expect(allows(all, a, 'x')).toBe(true);
    expect(allows(all, 'admin', null)).toBe(true);
    const scoped = parseGrants(['admin:team-a.*']);
    expect(allows(scoped, 'produce', 'team-a.orders')).toBe(true);
    expect(allows(scoped, 'admin', 'team-b.orders')).toBe(false);
    expect(allows(scoped, 'admin', null)).toBe(false);
  });

  test('auth - receipts grants name producers', () => {
    const g = parseGrants(['receipts:svc-*']);
    expect(allows(g, 'receipts', 'svc-billing')).toBe(true);
    expect(allows(g, 'receipts', 'other')).toBe(false);
  });

  test('auth - malformed grants are refused with INVALID_FIELD; formatting round-trips', () => {
    for (const bad of ['write:orders', 'produce', 'produce:', 'consume:a*b', 'consume:has space', `produce:${'x'.repeat(300)}`]) {
      expect(() => parseGrant(bad), bad).toThrow(expect.objectContaining({code: 'INVALID_FIELD'}));
    }
    for (const s of ['admin', 'admin:team*', 'produce:orders', 'consume:orders*', 'receipts:*']) expect(formatGrant(parseGrant(s))).toBe(s);
    expect(formatGrant(parseGrant('admin:*'))).toBe('admin');
  });
});

describe('auth - token secrets and ephemeral tokens', () => {
  test('auth - secrets are high-entropy; only the SHA-256 is compared', () => {
    const a = newTokenSecret();
    const b = newTokenSecret();
    expect(a).toMatch(/^mq_[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    const records = [{name: 'a', hash: hashToken(a).toString('hex')}, {name: 'b', hash: hashToken(b).toString('hex')}];
    const index = new Map(records.map((r) => [r.hash, r]));
    expect(lookupByHash(index, b)?.name).toBe('b');
    expect(lookupByHash(index, b + 'x')).toBeUndefined();
    // the stored hash is not a credential
    expect(lookupByHash(index, records[0]!.hash)).toBeUndefined();
  });

  test('auth - an ephemeral token verifies with its key until it expires; a tampered one never', () => {
    const key = Buffer.alloc(32, 7);
    const t = signEphemeral(key, {topic: 'chat', key: 'room', exp: 1000, iss: 'P1'});
    expect(verifyEphemeral(key, t, 999)).toEqual({topic: 'chat', key: 'room', exp: 1000, iss: 'P1'});
    expect(() => verifyEphemeral(key, t, 1000)).toThrow(expect.objectContaining({code: 'TOKEN_EXPIRED'}));
    expect(() => verifyEphemeral(Buffer.alloc(32, 8), t, 0)).toThrow(expect.objectContaining({code: 'UNAUTHORIZED'}));
    // another topic in the same signature
    const [head, mac] = t.slice(4).split('.');
    const forged = Buffer.from(JSON.stringify({topic: 'other', exp: 1000, iss: 'P1'})).toString('base64url');
    expect(() => verifyEphemeral(key, `mqe_${forged}.${mac}`, 0)).toThrow(expect.objectContaining({code: 'UNAUTHORIZED'}));
    expect(head).toBeTruthy();
    expect(() => verifyEphemeral(key, 'mqe_garbage', 0)).toThrow(expect.objectContaining({code: 'UNAUTHORIZED'}));
  });
});

describe('auth - broker-signed requests', () => {
  const secret = Buffer.from('the-cluster-secret-the-cluster-secret');
  test('auth - a signature covers method, path, time and body, within the allowed clock skew', () => {
    const h = signPeerRequest(secret, 'POST', '/v1/topics/a/messages?acks=all', '{"value":1}', 1_000_000);
    const ok = (m: string, p: string, body: string | undefined, now: number, key = secret): boolean => verifyPeerRequest(key, m, p, body === undefined ? undefined : Buffer.from(body), h, now);
    expect(ok('POST', '/v1/topics/a/messages?acks=all', '{"value":1}', 1_000_000)).toBe(true);
    expect(ok('POST', '/v1/topics/a/messages?acks=all', '{"value":2}', 1_000_000)).toBe(false);
    expect(ok('POST', '/v1/topics/b/messages?acks=all', '{"value":1}', 1_000_000)).toBe(false);
    expect(ok('DELETE', '/v1/topics/a/messages?acks=all', '{"value":1}', 1_000_000)).toBe(false);
    expect(ok('POST', '/v1/topics/a/messages?acks=all', '{"value":1}', 1_000_000 + PEER_AUTH_SKEW_MS + 1)).toBe(false);
    expect(ok('POST', '/v1/topics/a/messages?acks=all', '{"value":1}', 1_000_000, Buffer.from('another secret'))).toBe(false);
    expect(verifyPeerRequest(undefined, 'POST', '/', undefined, h, 1_000_000)).toBe(false);
    expect(verifyPeerRequest(secret, 'GET', '/', undefined, 'garbage', 0)).toBe(false);
  });
});

describe('auth - safe defaults', () => {
  const base = {auth: false, adminToken: undefined, adminTokenFile: undefined, insecure: false, publicStatus: 'auto' as const};

  test('auth - loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com']) expect(isLoopbackHost(h), h).toBe(false);
  });

  test('auth - beyond loopback without auth the broker refuses, unless --insecure or a token is set', () => {
    expect(() => checkAuthSettings({...base, listen: '0.0.0.0:7070'})).toThrow(/refusing to listen on 0\.0\.0\.0:7070 without authentication/);
    expect(() => checkAuthSettings({...base, listen: '[::]:7070'})).toThrow(/--insecure/);
    expect(() => checkAuthSettings({...base, listen: '0.0.0.0:7070', insecure: true})).not.toThrow();
    expect(() => checkAuthSettings({...base, listen: '0.0.0.0:7070', adminToken: 'x'.repeat(32)})).not.toThrow();
    expect(() => checkAuthSettings({...base, listen: '127.0.0.1:7070'})).not.toThrow();
  });

  test('auth - status is public on loopback by default, and as configured', () => {
    expect(statusIsPublic({...base, listen: '127.0.0.1:1'})).toBe(true);
    expect(statusIsPublic({...base, listen: '0.0.0.0:1'})).toBe(false);
    expect(statusIsPublic({...base, listen: '0.0.0.0:1', publicStatus: 'always'})).toBe(true);
    expect(statusIsPublic({...base, listen: '127.0.0.1:1', publicStatus: 'never'})).toBe(false);
  });
});
