import net from 'node:net';
import {beforeAll, describe, expect, test} from 'vitest';
import type {NodeId} from '../../src/cluster/raft/index.js';
import {type RejectEvent, type TcpTransport, type TcpTransportOptions} from '../../src/cluster/transport/tcp-transport.js';
import type {GroupMessage} from '../../src/cluster/transport/types.js';
import {makeDevCerts} from '../../src/security/cert-dev.js';
import type {PeerTls} from '../../src/security/tls-settings.js';
import {connected, mesh, useTransports, waitUntil} from '../helpers/transport.js';

/*
 * Mutual TLS on the peer transport, in process: brokers whose certificates the cluster's CA signed connect and carry
 * Raft messages; a broker holding the cluster secret but a certificate from another CA, or no TLS at all, is refused
 * before the HMAC handshake.
 */

const HOST = '127.0.0.1';
const SECRET = Buffer.from('test-secret-test-secret-32-bytes');
let good: PeerTls;
let rogue: PeerTls;

beforeAll(() => {
  const a = makeDevCerts(['localhost', '127.0.0.1']);
  const b = makeDevCerts(['localhost', '127.0.0.1']);
  good = {cert: Buffer.from(a.cert), key: Buffer.from(a.key), ca: Buffer.from(a.ca)};
  // signed by another CA, but trusting the cluster's: it can check the others, they cannot check it
  rogue = {cert: Buffer.from(b.cert), key: Buffer.from(b.key), ca: Buffer.from(a.ca)};
});

const startWith = useTransports({clusterId: 'tls-cluster', secret: SECRET, scheme: 'https', reconnectBackoffMaxMs: 100});
const start = (nodeId: NodeId, tls: PeerTls | null, over: Partial<TcpTransportOptions> = {}): Promise<TcpTransport> => startWith(nodeId, {tls, ...over});
const waitFor = waitUntil;





function heartbeat(from: NodeId, to: NodeId): GroupMessage {
  return [7, {type: 'heartbeat', from, to, term: 2, commit: 5}];
}

describe('peer transport with mutual TLS', () => {
  test('brokers with certificates from the cluster CA connect and exchange messages', async () => {
    const [a, b] = [await start(1, good), await start(2, good)];
    const got: Array<[NodeId, GroupMessage[]]> = [];
    b.onMessages((from, msgs) => got.push([from, msgs]));
    mesh([a, b]);
    await waitFor(() => connected(a, 2) && connected(b, 1), 'the TLS connection');
    a.send(new Map([[2, [heartbeat(1, 2)]]]));
    await waitFor(() => got.length > 0, 'a message over TLS');
    expect(got[0]![0]).toBe(1);
    expect(got[0]![1][0]![1]).toMatchObject({type: 'heartbeat', from: 1, to: 2});
  });

  test('a broker whose certificate another CA signed is refused by TLS, though it holds the secret', async () => {
    const [a, c] = [await start(1, good), await start(3, rogue)];
    const seen: RejectEvent[] = [];
    c.onReject((ev) => seen.push(ev));
    // 1 dials 3: the rogue listener's certificate fails 1's check; 3 (acceptor) reports the failed TLS handshake
    mesh([a, c]);
    await waitFor(() => seen.some((e) => e.direction === 'sent' && e.code === 'BAD_AUTH' && e.message.startsWith('TLS')), 'the TLS refusal');
    expect(connected(a, 3)).toBe(false);
    expect(connected(c, 1)).toBe(false);
  });

  test('a rogue dialer is refused by the listener that checks client certificates', async () => {
    // the rogue has the lower id, so it dials; the good broker's listener refuses its certificate
    const [r, b] = [await start(1, rogue), await start(2, good)];
    const seen: RejectEvent[] = [];
    b.onReject((ev) => seen.push(ev));
    mesh([r, b]);
    await waitFor(() => seen.some((e) => e.code === 'BAD_AUTH' && e.message.startsWith('TLS')), 'the refused client certificate');
    expect(connected(b, 1)).toBe(false);
    expect(b.peers().find((p) => p.id === 1)?.connects ?? 0).toBe(0);
  });

  test('a plain TCP peer (no TLS) cannot reach the handshake of a TLS broker', async () => {
    const [p, b] = [await start(1, null), await start(2, good)];
    const seen: RejectEvent[] = [];
    b.onReject((ev) => seen.push(ev));
    mesh([p, b]);
    await waitFor(() => seen.some((e) => e.code === 'BAD_AUTH' && e.message.startsWith('TLS')), 'the refused plain connection');
    expect(connected(b, 1)).toBe(false);
    // and a raw socket that sends garbage gets nothing back but a TLS alert or a close
    const s = net.connect(b.address().port, HOST);
    const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
    s.on('error', () => {});
    s.write(Buffer.from('not a TLS record at all\r\n\r\n'));
    await closed;
    expect(connected(b, 1)).toBe(false);
  });
});
