import net from 'node:net';
import type {Logger} from '../../observe/logger.js';
import {assert} from '../../util/assert.js';
import type {NodeId} from '../raft/index.js';
import {TransportError} from './binary.js';
import {Connection} from './connection.js';
import {FrameType, frameTypeName, type Frame} from './frames.js';
import {
  PROTOCOL_V1,
  checkHello,
  checkWelcome,
  decodeReject,
  encodeGreeting,
  encodeReject,
  newNonce,
  type Greeting,
  type Reject,
  type RejectCode,
} from './handshake.js';
import {decodeMessages, encodeMessages} from './message-codec.js';
import {createPeerServer, dialPeer} from './tls-socket.js';
import {
  newPeerState,
  peerStatus,
  reconnectDelayMs,
  resolveTcpOptions,
  type PeerAddress,
  type PeerState,
  type PeerInfo,
  type RejectEvent,
  type ResolvedTcpOptions,
  type TcpPeerStatus,
  type TcpTransportOptions,
} from './tcp-options.js';
import type {GroupMessage, Transport} from './types.js';

export {TCP_TRANSPORT_DEFAULTS, type PeerAddress, type PeerInfo, type RejectEvent, type TcpPeerStatus, type TcpTransportOptions} from './tcp-options.js';

const WARN_REPEAT_MS = 30_000;

export async function createTcpTransport(opts: TcpTransportOptions): Promise<TcpTransport> {
  const t = new TcpTransport(opts);
  await t.listen();
  return t;
}

/**
 * Raft messages between brokers over TCP: one connection per broker pair, dialed by the lower id, carrying every
 * group in both directions. Raft tolerates loss, so the transport drops rather than waits: no connection, or a full
 * queue, means the messages are dropped and the core is told the peer is unreachable (it then probes gently).
 */
export class TcpTransport implements Transport {
  readonly nodeId: NodeId;
  private readonly o: ResolvedTcpOptions;
  private readonly log: Logger;
  private readonly states = new Map<NodeId, PeerState>();
  /** Every socket until it is fully closed, handshaking and lingering ones included. */
  private readonly conns = new Set<Connection>();
  private readonly server: net.Server;
  private readonly handlers = {
    messages: [] as Array<(from: NodeId, msgs: GroupMessage[]) => void>,
    unreachable: [] as Array<(peer: NodeId) => void>,
    peerInfo: [] as Array<(peer: NodeId, info: PeerInfo) => void>,
    reject: [] as Array<(ev: RejectEvent) => void>,
  };
  private readonly warned = new Map<string, number>();
  /** Dials that sent a version 1 HELLO (to a peer that refused a negotiating one, or because we speak only 1). */
  private readonly v1Dials = new WeakSet<Connection>();
  private listening = false;
  private stopped = false;
  private closing: Promise<void> | undefined;

  constructor(opts: TcpTransportOptions) {
    this.o = resolveTcpOptions(opts);
    this.nodeId = opts.nodeId;
    this.log = opts.logger.child({component: 'transport', node: opts.nodeId});
    for (const [id, addr] of opts.peers) this.setPeer(id, addr);
    this.server = createPeerServer(this.o.tls ?? undefined, this.o.connectTimeoutMs, {
      socket: (socket) => this.accept(socket),
      // refused before the HMAC handshake: no certificate, or one the cluster's CA did not sign
      tlsError: (err, remote) => this.tlsRefused(err, remote),
    });
  }

  /** Binds, then starts dialing. Rejects (and leaves nothing running) if the address cannot be bound. */
  async listen(): Promise<void> {
    assert(!this.listening && !this.stopped, 'listen() twice, or after close()');
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.listen.port, this.o.listen.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.server.on('error', (err) => this.log.error({err}, 'peer listener failed'));
    this.listening = true;
    for (const p of this.states.values()) if (this.dials(p.id)) this.dial(p);
  }

  address(): PeerAddress {
    const a = this.server.address();
    assert(a !== null && typeof a === 'object', 'not listening');
    return {host: a.address, port: a.port};
  }

  onMessages(handler: (from: NodeId, msgs: GroupMessage[]) => void): void {
    this.handlers.messages.push(handler);
  }

  onUnreachable(handler: (peer: NodeId) => void): void {
    this.handlers.unreachable.push(handler);
  }

  /** After each completed handshake (the URLs may have changed since the last one). */
  onPeerInfo(handler: (peer: NodeId, info: PeerInfo) => void): void {
    this.handlers.peerInfo.push(handler);
  }

  onReject(handler: (ev: RejectEvent) => void): void {
    this.handlers.reject.push(handler);
  }

  /**
   * Changes what this broker announces (its URLs are final only once its listeners are bound). Takes effect for
   * handshakes from now on, so call it right after createTcpTransport, before any peer has connected: the first
   * HELLO or WELCOME is built when a socket connects, which is never in the same tick as creation.
   */
  setInfo(info: PeerInfo): void {
    this.o.info = info;
  }

  peerInfo(id: NodeId): PeerInfo | undefined {
    return this.states.get(id)?.info;
  }

  /** Adds a peer or changes its address (a changed address drops the current connection and redials). */
  setPeer(id: NodeId, addr: PeerAddress): void {
    assert(Number.isSafeInteger(id) && id > 0 && id !== this.nodeId, `bad peer id ${id}`);
    const p = this.states.get(id);
    if (!p) {
      const fresh = newPeerState(id, addr);
      this.states.set(id, fresh);
      if (this.listening && this.dials(id)) this.dial(fresh);
      return;
    }
    if (p.addr.host === addr.host && p.addr.port === addr.port) return;
    p.addr = addr;
    if (!this.dials(id)) return;
    p.attempts = 0;
    p.dial?.close('the peer address changed');
    p.conn?.close('the peer address changed');
  }

  removePeer(id: NodeId): void {
    const p = this.states.get(id);
    if (!p) return;
    // Deleted first, so that the close hooks below neither reconnect nor report the peer unreachable.
    this.states.delete(id);
    clearTimeout(p.timer);
    p.dial?.close('the peer was removed');
    p.conn?.close('the peer was removed');
  }

  /** One MESSAGES frame per peer: all of a round's messages for a broker (every group's) travel together. */
  send(byPeer: ReadonlyMap<NodeId, GroupMessage[]>): void {
    if (this.stopped) return;
    for (const [id, msgs] of byPeer) {
      if (msgs.length === 0) continue;
      const p = this.states.get(id);
      if (!p?.conn) {
        if (p) p.stats.droppedFrames++;
        this.unreachable(id);
        continue;
      }
      const payload = encodeMessages(msgs);
      if (payload.length + 1 > this.o.maxFrameBytes) {
        this.warn(`too-large:${id}`, {peer: id, bytes: payload.length, max: this.o.maxFrameBytes}, 'dropped a message frame over the frame size limit');
      } else if (p.conn.send(FrameType.MESSAGES, payload, msgs.length)) {
        p.stats.sentFrames++;
        continue;
      }
      p.stats.droppedFrames++;
      this.unreachable(id);
    }
  }

  peers(): TcpPeerStatus[] {
    return [...this.states.values()].map((p) => peerStatus(p, this.dials(p.id)));
  }

  /** Sockets open right now, by stage (tests use it to check that a pair shares one connection). */
  connections(): {open: number; handshaking: number; closing: number} {
    const n = {open: 0, handshaking: 0, closing: 0};
    for (const c of this.conns) {
      if (c.state === 'open') n.open++;
      else if (c.state === 'handshake') n.handshaking++;
      else n.closing++;
    }
    return n;
  }

  /** Stops dialing, closes the listener and every socket; resolves once all are closed and no timer is left. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    // Set before any socket is closed: their close hooks must neither reconnect nor report peers unreachable.
    this.stopped = true;
    this.closing = this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    for (const p of this.states.values()) clearTimeout(p.timer);
    const serverClosed = new Promise<void>((resolve) => {
      if (this.server.listening) this.server.close(() => resolve());
      else resolve();
    });
    const conns = [...this.conns];
    for (const c of conns) c.close('the transport is closing');
    await Promise.all([serverClosed, ...conns.map((c) => c.done)]);
    // The listener's 'close' comes before libuv has released its handle, which happens in the close-callbacks
    // phase of the loop; two turns of the check phase are sure to straddle one, so callers see nothing left open.
    for (let i = 0; i < 2; i++) await new Promise((r) => setImmediate(r));
  }

  private dials(peer: NodeId): boolean {
    return this.nodeId < peer;
  }

  private attach(socket: net.Socket, dialed: boolean, remote?: string): Connection {
    const conn = new Connection(
      socket,
      {
        dialed,
        remote: remote ?? `${socket.remoteAddress}:${socket.remotePort}`,
        handshakeFrameBytes: this.o.handshakeFrameBytesMax,
        maxFrameBytes: this.o.maxFrameBytes,
        maxQueuedBytes: this.o.maxQueuedBytes,
        handshakeTimeoutMs: this.o.connectTimeoutMs,
        idleTimeoutMs: this.o.idleTimeoutMs,
      },
      {frame: (c, f) => this.onFrame(c, f), failed: (c, err) => this.onFailed(c, err), closed: (c, why) => this.onClosed(c, why)},
      this.log,
    );
    this.conns.add(conn);
    void conn.done.then(() => this.conns.delete(conn));
    return conn;
  }

  private accept(socket: net.Socket): void {
    let handshaking = 0;
    for (const c of this.conns) if (c.state === 'handshake' && !c.dialed) handshaking++;
    if (this.stopped || handshaking >= this.o.handshakesMax) {
      this.warn('handshakes-max', {remote: socket.remoteAddress}, 'too many unauthenticated peer connections; closing a new one');
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    this.attach(socket, false);
  }

  private dial(p: PeerState): void {
    p.timer = undefined;
    if (this.stopped || p.conn || p.dial || this.states.get(p.id) !== p) return;
    const v1 = this.o.protocol.max === PROTOCOL_V1 || (p.v1Hello && this.o.protocol.min === PROTOCOL_V1);
    let conn: Connection; // assigned below: the connect callback runs on a later turn
    let socket: net.Socket;
    try {
      socket = dialPeer(this.o.tls ?? undefined, p.addr, () => this.hello(p, conn, v1));
    } catch (err) {
      // A malformed address (say, port 0) from configuration: nothing to retry until setPeer() corrects it.
      this.log.warn({err, peer: p.id, address: p.addr}, 'cannot dial peer: bad address');
      return;
    }
    conn = this.attach(socket, true, `${p.addr.host}:${p.addr.port}`);
    conn.peer = p.id;
    conn.nonce = newNonce();
    p.dial = conn;
    if (v1) this.v1Dials.add(conn);
  }

  private hello(p: PeerState, conn: Connection, v1: boolean): void {
    conn.send(FrameType.HELLO, encodeGreeting('hello', this.greeting(p.id, conn.nonce!, v1 ? PROTOCOL_V1 : 0), this.o.secret));
  }

  private tlsRefused(err: Error & {code?: string}, remote: string): void {
    const message = `TLS: ${err.code ?? err.message}`;
    // keyed by address, not port: a peer retrying with a bad certificate dials from a new port each time
    this.warn(`refused:tls:${remote.slice(0, remote.lastIndexOf(':'))}`, {remote, code: 'BAD_AUTH', reason: message}, 'refused a peer connection');
    this.emitReject({direction: 'sent', code: 'BAD_AUTH', message, peer: undefined, remote});
  }

  /** `protocol` PROTOCOL_V1: a version 1 greeting; otherwise a negotiating one (0 in a HELLO, the choice in a WELCOME). */
  private greeting(to: NodeId, nonce: Uint8Array, protocol: number): Greeting {
    const {clusterId, info} = this.o;
    const g = {protocol, clusterId, from: this.nodeId, to, url: info.url, peerUrl: info.peerUrl, nonce};
    return protocol === PROTOCOL_V1 ? g : {...g, range: this.o.protocol};
  }

  private onFrame(c: Connection, f: Frame): void {
    if (f.type === FrameType.REJECT) return this.onRejected(c, f.payload);
    if (c.state === 'handshake') {
      if (!c.dialed && f.type === FrameType.HELLO) return this.onHello(c, f.payload);
      if (c.dialed && f.type === FrameType.WELCOME) return this.onWelcome(c, f.payload);
      return this.refuse(c, 'PROTOCOL_ERROR', `${frameTypeName(f.type)} before the handshake completed`);
    }
    const p = this.states.get(c.peer!);
    if (!p) return c.close('the peer was removed');
    p.stats.receivedFrames++;
    p.stats.lastReceivedAt = Date.now();
    switch (f.type) {
      case FrameType.MESSAGES:
        return this.deliver(p, f.payload);
      case FrameType.PING:
        c.send(FrameType.PONG);
        return;
      case FrameType.PONG:
        return;
      default:
        return this.refuse(c, 'PROTOCOL_ERROR', `${frameTypeName(f.type)} after the handshake`);
    }
  }

  private onHello(c: Connection, payload: Buffer): void {
    const {clusterId, secret} = this.o;
    const res = checkHello(payload, {clusterId, secret, self: this.nodeId, speaks: this.o.protocol, isPeer: (id) => this.states.has(id)});
    if (!res.ok) return this.refuse(c, res.code, res.message, res.from);
    const g = res.greeting;
    if (this.dials(g.from)) {
      return this.refuse(c, 'WRONG_DIRECTION', `node ${g.from} has the higher id: node ${this.nodeId} dials it, not the reverse`, g.from);
    }
    // WELCOME goes out before established() makes the connection usable, so it precedes any MESSAGES. It is laid out
    // as the HELLO was: a version 1 dialer reads nothing else.
    c.send(FrameType.WELCOME, encodeGreeting('welcome', this.greeting(g.from, newNonce(), g.range ? res.protocol : PROTOCOL_V1), secret, g.nonce));
    this.established(c, g, res.protocol);
  }

  private onWelcome(c: Connection, payload: Buffer): void {
    const {clusterId, secret} = this.o;
    const negotiated = !this.v1Dials.has(c);
    const res = checkWelcome(payload, {clusterId, secret, self: this.nodeId, speaks: this.o.protocol, peer: c.peer!, dialerNonce: c.nonce!, negotiated});
    if (!res.ok) return this.refuse(c, res.code, res.message, c.peer);
    this.established(c, res.greeting, res.protocol);
  }

  private established(c: Connection, g: Greeting, protocol: number): void {
    const p = this.states.get(g.from);
    if (!p) return c.close('the peer was removed during the handshake');
    if (p.dial === c) p.dial = undefined;
    // The dialer opens a connection only when it has none, so a newer one from the same peer means the old one is
    // dead and we have not noticed yet: keep the newest. Set before closing the old one so its hook sees it is stale.
    const old = p.conn;
    p.conn = c;
    c.open(g.from);
    old?.close('replaced by a newer connection from the same peer');
    p.attempts = 0;
    p.stats.connects++;
    p.stats.lastReceivedAt = Date.now();
    p.info = {url: g.url, peerUrl: g.peerUrl};
    p.protocol = protocol;
    this.log.info({peer: p.id, remote: c.remote, dialed: c.dialed, url: g.url, protocol}, 'peer connected');
    for (const h of this.handlers.peerInfo) this.callSafely(() => h(p.id, p.info!), 'peer info');
  }

  private deliver(p: PeerState, payload: Buffer): void {
    const msgs = decodeMessages(payload);
    // The handshake authenticated the connection, not the messages: each must be from that peer and for us.
    const good = msgs.filter(([, m]) => m.from === p.id && m.to === this.nodeId);
    if (good.length < msgs.length) {
      p.stats.droppedMessages += msgs.length - good.length;
      this.warn(`misaddressed:${p.id}`, {peer: p.id, dropped: msgs.length - good.length}, 'dropped messages not from this peer or not for this node');
    }
    if (good.length === 0) return;
    for (const h of this.handlers.messages) this.callSafely(() => h(p.id, good), 'message');
  }

  /** Refuses (or ends) a connection: REJECT so that the peer can log why, then close. */
  private refuse(c: Connection, code: RejectCode, message: string, peer?: NodeId): void {
    this.warn(`refused:${code}:${peer ?? c.remote}`, {peer, remote: c.remote, code, reason: message}, 'refused a peer connection');
    if (peer !== undefined) this.countReject(peer, {code, message});
    this.emitReject({direction: 'sent', code, message, peer, remote: c.remote});
    c.send(FrameType.REJECT, encodeReject(code, message));
    c.close(`refused: ${code}`, true);
  }

  private onRejected(c: Connection, payload: Buffer): void {
    let rej: Reject;
    try {
      rej = decodeReject(payload);
    } catch (err) {
      rej = {code: 'PROTOCOL_ERROR', message: `unreadable REJECT: ${(err as Error).message}`};
    }
    const peer = c.peer;
    const p = peer === undefined ? undefined : this.states.get(peer);
    if (p && c.dialed && c.state === 'handshake' && rej.code === 'PROTOCOL_MISMATCH') {
      // a broker of the first release refuses a negotiating HELLO: speak its version on the next dial, if we still
      // do (a broker that refuses version 1 too shares no version with us: back to negotiating, and the warning)
      const fallback = !this.v1Dials.has(c) && this.o.protocol.min === PROTOCOL_V1;
      p.v1Hello = fallback;
      if (fallback) {
        this.log.info({peer, remote: c.remote, reason: rej.message}, 'the peer speaks only protocol 1 (an older mq): dialing it again with that');
        c.close('the peer speaks only protocol 1');
        return;
      }
    }
    this.warn(`rejected:${rej.code}:${peer ?? c.remote}`, {peer, remote: c.remote, code: rej.code, reason: rej.message}, 'the peer refused the connection');
    if (peer !== undefined) this.countReject(peer, rej);
    this.emitReject({direction: 'received', ...rej, peer, remote: c.remote});
    c.close(`refused by the peer: ${rej.code}`);
  }

  private onFailed(c: Connection, err: unknown): void {
    if (err instanceof TransportError) return this.refuse(c, err.code, err.message, c.peer);
    // Our bug, not the peer's: close the connection rather than take the process down.
    this.log.error({err, peer: c.peer, remote: c.remote}, 'failed handling a frame from a peer');
    c.close('internal error');
  }

  private onClosed(c: Connection, reason: string): void {
    if (c.peer === undefined || this.stopped) return;
    const p = this.states.get(c.peer);
    if (!p) return;
    if (p.dial === c) {
      p.dial = undefined;
      // The first failure of a streak is worth a line; the retries every few seconds are not.
      if (p.attempts === 0) this.log.info({peer: p.id, address: p.addr, reason}, 'cannot connect to peer; retrying');
      else this.log.debug({peer: p.id, reason}, 'peer dial failed');
    } else if (p.conn === c) {
      p.conn = undefined;
      p.protocol = undefined;
      // the peer may come back upgraded: negotiate again
      p.v1Hello = false;
      this.log.info({peer: p.id, reason}, 'peer disconnected');
      this.unreachable(p.id);
    }
    if (this.dials(p.id) && !p.conn && !p.dial) this.scheduleReconnect(p);
  }

  private scheduleReconnect(p: PeerState): void {
    if (p.timer) return;
    const {reconnectBackoffMinMs: min, reconnectBackoffMaxMs: max, random} = this.o;
    p.timer = setTimeout(() => this.dial(p), reconnectDelayMs(p.attempts++, min, max, random));
    p.timer.unref();
  }

  private countReject(peer: NodeId, rej: Reject): void {
    const p = this.states.get(peer);
    if (!p) return;
    p.stats.rejects++;
    p.stats.lastReject = rej;
  }

  private emitReject(ev: RejectEvent): void {
    for (const h of this.handlers.reject) this.callSafely(() => h(ev), 'reject');
  }

  private unreachable(peer: NodeId): void {
    for (const h of this.handlers.unreachable) this.callSafely(() => h(peer), 'unreachable');
  }

  /** A throwing handler is a bug elsewhere; it must not kill the connection or the process. */
  private callSafely(fn: () => void, what: string): void {
    try {
      fn();
    } catch (err) {
      this.log.error({err}, `a transport ${what} handler threw`);
    }
  }

  /** Warnings that a misconfigured peer would repeat on every retry: at most one per key per WARN_REPEAT_MS. */
  private warn(key: string, obj: object, msg: string): void {
    const t = performance.now();
    const last = this.warned.get(key);
    if (last !== undefined && t - last < WARN_REPEAT_MS) return this.log.debug(obj, msg);
    if (this.warned.size >= 1024) this.warned.clear();
    this.warned.set(key, t);
    this.log.warn(obj, msg);
  }
}
