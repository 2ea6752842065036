import type {Logger} from '../../observe/logger.js';
import type {PeerTls} from '../../security/tls-settings.js';
import {assert} from '../../util/assert.js';
import type {Random} from '../../util/random.js';
import type {NodeId} from '../raft/index.js';
import type {Connection} from './connection.js';
import {FRAME_BYTES_MAX_DEFAULT} from './frames.js';
import {processProtocolRange, type ProtocolRange, type Reject} from './handshake.js';
import type {PeerStatus} from './types.js';

/*
 * The TCP transport's settings with their named defaults, what it reports per peer, and what it keeps per peer:
 * the plain data, apart from the socket handling in tcp-transport.ts.
 */

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

/** What a peer says about itself in the handshake: its client URL (for forwarding requests) and its peer URL. */
export interface PeerInfo {
  readonly url: string;
  readonly peerUrl: string;
}

export interface TcpTransportOptions {
  nodeId: NodeId;
  listen: PeerAddress;
  /** Every other broker of the cluster. Only the higher ids are dialed, but every peer must be listed to be accepted. */
  peers: ReadonlyMap<NodeId, PeerAddress>;
  clusterId: string;
  secret: Uint8Array;
  info: PeerInfo;
  logger: Logger;
  /** Reconnect jitter. */
  random: Random;
  /** Per peer; a frame that would take the write queue past this is dropped. Keep it >= maxFrameBytes. */
  maxQueuedBytes?: number;
  maxFrameBytes?: number;
  /** TCP connect plus handshake. */
  connectTimeoutMs?: number;
  /** A connection that received nothing (not even a PING) for this long is closed; PINGs go out every third of it. */
  idleTimeoutMs?: number;
  reconnectBackoffMinMs?: number;
  reconnectBackoffMaxMs?: number;
  /** The peer protocol versions this broker speaks (default: this build's, see processProtocolRange). */
  protocol?: ProtocolRange;
  /** Mutual TLS with every peer; null or unset: plain TCP. */
  tls?: PeerTls | null;
}

export type ResolvedTcpOptions = Required<Omit<TcpTransportOptions, 'peers'>> & {handshakeFrameBytesMax: number; handshakesMax: number};

export const TCP_TRANSPORT_DEFAULTS = {
  maxQueuedBytes: 64 * 1024 * 1024,
  maxFrameBytes: FRAME_BYTES_MAX_DEFAULT,
  connectTimeoutMs: 5_000,
  idleTimeoutMs: 10_000,
  reconnectBackoffMinMs: 50,
  reconnectBackoffMaxMs: 2_000,
  handshakeFrameBytesMax: 64 * 1024,
  /** Unauthenticated inbound connections held at once; more are closed on arrival. */
  handshakesMax: 64,
} as const;

/** A handshake refused by this node (`sent`) or by the peer (`received`); `peer` is unverified when `sent`. */
export interface RejectEvent extends Reject {
  readonly direction: 'sent' | 'received';
  readonly peer: NodeId | undefined;
  readonly remote: string;
}

export interface TcpPeerStatus extends PeerStatus {
  /** True if this node dials the peer (it has the lower id). */
  dialer: boolean;
  queuedBytes: number;
  /** Frames not sent: no connection, a full queue, or too large. */
  droppedFrames: number;
  /** Received messages whose `from` or `to` did not match the connection's peers. */
  droppedMessages: number;
  rejects: number;
  lastReject: Reject | undefined;
  /** Handshakes completed. */
  connects: number;
  /** Wall-clock ms of the last frame received; 0 if none. */
  lastReceivedAt: number;
  /** The peer protocol version agreed with this peer on the current connection (null while not connected). */
  protocol: number | null;
}

export function resolveTcpOptions(opts: TcpTransportOptions): ResolvedTcpOptions {
  const d = TCP_TRANSPORT_DEFAULTS;
  const o: ResolvedTcpOptions = {
    ...opts,
    maxQueuedBytes: opts.maxQueuedBytes ?? d.maxQueuedBytes,
    maxFrameBytes: opts.maxFrameBytes ?? d.maxFrameBytes,
    connectTimeoutMs: opts.connectTimeoutMs ?? d.connectTimeoutMs,
    idleTimeoutMs: opts.idleTimeoutMs ?? d.idleTimeoutMs,
    reconnectBackoffMinMs: opts.reconnectBackoffMinMs ?? d.reconnectBackoffMinMs,
    reconnectBackoffMaxMs: opts.reconnectBackoffMaxMs ?? d.reconnectBackoffMaxMs,
    protocol: opts.protocol ?? processProtocolRange(),
    tls: opts.tls ?? null,
    handshakeFrameBytesMax: d.handshakeFrameBytesMax,
    handshakesMax: d.handshakesMax,
  };
  assert(Number.isSafeInteger(o.nodeId) && o.nodeId > 0, `bad node id ${o.nodeId}`);
  assert(o.secret.length > 0, 'the cluster secret is empty');
  assert(o.reconnectBackoffMinMs > 0 && o.reconnectBackoffMaxMs >= o.reconnectBackoffMinMs, 'bad reconnect backoff');
  assert(o.idleTimeoutMs > 0 && o.connectTimeoutMs > 0 && o.maxFrameBytes > 0 && o.maxQueuedBytes > 0, 'bad transport limits');
  return o;
}

/**
 * Exponential backoff with jitter: the step doubles per failed attempt up to the maximum, and the delay is drawn
 * from the upper half of the step, so that brokers restarted together do not dial in lockstep.
 */
export function reconnectDelayMs(attempts: number, minMs: number, maxMs: number, random: Random): number {
  const step = Math.min(maxMs, minMs * 2 ** Math.min(attempts, 30));
  return step / 2 + (random.next() * step) / 2;
}

/** What the transport keeps per peer: the connection (or the dial in progress), the reconnect state, counters. */
export interface PeerState {
  readonly id: NodeId;
  addr: PeerAddress;
  /** The authenticated connection, if any. */
  conn: Connection | undefined;
  /** Our outbound connection while it connects and handshakes (dialer side only). */
  dial: Connection | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Failed dials since the last handshake: drives the backoff. */
  attempts: number;
  info: PeerInfo | undefined;
  /** The version agreed on the current connection. */
  protocol: number | undefined;
  /** Dialer: the peer refused a negotiating HELLO, so the next dial speaks version 1 (reset when that connection ends). */
  v1Hello: boolean;
  stats: Omit<TcpPeerStatus, 'id' | 'address' | 'connected' | 'queued' | 'queuedBytes' | 'dialer' | 'url' | 'peerUrl' | 'protocol'>;
}

export function newPeerState(id: NodeId, addr: PeerAddress): PeerState {
  return {
    id,
    addr,
    conn: undefined,
    dial: undefined,
    timer: undefined,
    attempts: 0,
    info: undefined,
    protocol: undefined,
    v1Hello: false,
    stats: {sentFrames: 0, receivedFrames: 0, droppedFrames: 0, droppedMessages: 0, rejects: 0, lastReject: undefined, connects: 0, lastReceivedAt: 0},
  };
}

export function peerStatus(p: PeerState, dialer: boolean): TcpPeerStatus {
  return {
    id: p.id,
    address: `${p.addr.host}:${p.addr.port}`,
    connected: p.conn !== undefined,
    dialer,
    queued: p.conn?.queuedMessages ?? 0,
    queuedBytes: p.conn?.queuedBytes ?? 0,
    url: p.info?.url,
    peerUrl: p.info?.peerUrl,
    protocol: p.conn ? (p.protocol ?? null) : null,
    ...p.stats,
  };
}
