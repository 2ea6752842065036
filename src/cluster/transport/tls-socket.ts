import net from 'node:net';
import tls from 'node:tls';
import type {PeerTls} from '../../security/tls-settings.js';
import type {PeerAddress} from './tcp-options.js';

/*
 * The peer transport's sockets, plain or mutual TLS. With TLS both ends present a certificate and both check the
 * other's against the cluster's CA (requestCert + rejectUnauthorized), so a broker without a certificate from that CA
 * never gets as far as the HMAC handshake, which still runs inside the TLS session: TLS says "signed by our CA", the
 * handshake says "holds this cluster's secret and is node N".
 */

export interface PeerServerEvents {
  /** A connection ready for the handshake (after the TLS handshake, with TLS). */
  socket(socket: net.Socket): void;
  /** A TLS handshake that failed: no certificate, one from another CA, an expired one, or not TLS at all. */
  tlsError(err: Error & {code?: string}, remote: string): void;
}

export function createPeerServer(peerTls: PeerTls | undefined, handshakeTimeoutMs: number, events: PeerServerEvents): net.Server {
  if (!peerTls) return net.createServer((s) => events.socket(s));
  const server = tls.createServer(
    {
      cert: peerTls.cert,
      key: peerTls.key,
      ca: peerTls.ca,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      handshakeTimeout: handshakeTimeoutMs,
    },
    (s) => events.socket(s),
  );
  server.on('tlsClientError', (err: Error & {code?: string}, s: tls.TLSSocket) => events.tlsError(err, `${s.remoteAddress}:${s.remotePort}`));
  return server;
}

/**
 * Dials a peer; `connected` runs once the socket can carry the handshake (TCP connected, or TLS established with a
 * server certificate that the CA signed and that names the address dialed).
 */
export function dialPeer(peerTls: PeerTls | undefined, addr: PeerAddress, connected: () => void): net.Socket {
  if (!peerTls) {
    const s = net.connect({host: addr.host, port: addr.port});
    s.once('connect', connected);
    return s;
  }
  const s = tls.connect({
    host: addr.host,
    port: addr.port,
    cert: peerTls.cert,
    key: peerTls.key,
    ca: peerTls.ca,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  });
  s.once('secureConnect', connected);
  return s;
}
