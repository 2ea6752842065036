import type net from 'node:net';
import type {Logger} from '../../observe/logger.js';
import type {NodeId} from '../raft/index.js';
import {FRAME_HEADER_BYTES, FrameReader, FrameType, frameHeader, type Frame} from './frames.js';

export interface ConnectionOptions {
  /** True on the dialer's side of the pair. */
  readonly dialed: boolean;
  /** host:port of the other end, for logs (a dialing socket does not know its remote address yet). */
  readonly remote: string;
  /** Frame limit before the peer has authenticated: a stranger only gets to send a HELLO. */
  readonly handshakeFrameBytes: number;
  readonly maxFrameBytes: number;
  readonly maxQueuedBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly idleTimeoutMs: number;
}

export interface ConnectionEvents {
  /** May throw (a payload that does not decode): the connection then fails with that error. */
  frame(conn: Connection, frame: Frame): void;
  /** Bytes that are not a valid frame, or a throwing frame handler. */
  failed(conn: Connection, err: unknown): void;
  /** Called once, synchronously from close() or when the socket goes away. */
  closed(conn: Connection, reason: string): void;
}

/** After a REJECT, how long the socket may stay half-closed so that the peer reads it before the reset. */
const LINGER_MS = 1000;

const now = (): number => performance.now();

/**
 * One socket: framing, write accounting, and the timers that detect a dead peer. It knows nothing about the
 * handshake or Raft: the transport interprets frames and decides what to send.
 *
 * Bytes waiting to be written stay in the socket's own buffer, but the connection counts them and refuses frames
 * beyond `maxQueuedBytes` rather than letting a slow reader make the buffer grow without bound.
 */
export class Connection {
  state: 'handshake' | 'open' | 'closed' = 'handshake';
  /** For a dial, the node we meant to reach (verified by the handshake); for an accept, set once authenticated. */
  peer: NodeId | undefined;
  /** The dialer's nonce, which the acceptor's WELCOME must be bound to. */
  nonce: Uint8Array | undefined;
  queuedBytes = 0;
  queuedMessages = 0;
  readonly remote: string;
  /** Resolves when the socket is fully closed (after any linger). */
  readonly done: Promise<void>;

  private readonly reader: FrameReader;
  private lastReceivedMs = now();
  private lastSentMs = now();
  /** When bytes last left our buffer (or when it last went from empty to not empty). */
  private lastFlushMs = now();
  private handshakeTimer: NodeJS.Timeout | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private socketError: Error | undefined;

  constructor(
    readonly socket: net.Socket,
    private readonly o: ConnectionOptions,
    private readonly events: ConnectionEvents,
    private readonly logger: Logger,
  ) {
    this.remote = o.remote;
    socket.setNoDelay(true);
    this.reader = new FrameReader({maxFrameBytes: o.handshakeFrameBytes});
    this.handshakeTimer = setTimeout(() => this.close(`no handshake within ${o.handshakeTimeoutMs} ms`), o.handshakeTimeoutMs);
    this.handshakeTimer.unref();
    let resolveDone!: () => void;
    this.done = new Promise((r) => (resolveDone = r));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => {
      // Resets and refused dials are routine in a cluster; the close that follows carries the reason.
      this.socketError = err;
      this.logger.debug({err, remote: this.remote, peer: this.peer}, 'peer socket error');
    });
    socket.on('close', () => {
      if (this.lingerTimer) clearTimeout(this.lingerTimer);
      this.close(this.socketError ? this.socketError.message : 'closed by the peer');
      resolveDone();
    });
  }

  isClosed(): boolean {
    return this.state === 'closed';
  }

  get dialed(): boolean {
    return this.o.dialed;
  }

  /** The handshake succeeded: lift the frame limit and start watching for silence. */
  open(peer: NodeId): void {
    this.peer = peer;
    this.state = 'open';
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    this.reader.maxFrameBytes = this.o.maxFrameBytes;
    this.lastReceivedMs = now();
    // Checking at a sixth of the timeout keeps the gap between PINGs under half of it, whatever the phase.
    this.ticker = setInterval(() => this.tick(), Math.max(5, Math.floor(this.o.idleTimeoutMs / 6)));
    this.ticker.unref();
  }

  /**
   * Queues a frame; false if it was not queued (closed, or it would take the queue past `maxQueuedBytes`).
   * `messages` only feeds the status counter of messages waiting.
   */
  send(type: FrameType, payload?: Uint8Array, messages = 0): boolean {
    if (this.state === 'closed' || this.socket.destroyed) return false;
    const payloadBytes = payload?.length ?? 0;
    const bytes = FRAME_HEADER_BYTES + payloadBytes;
    if (this.queuedBytes + bytes > this.o.maxQueuedBytes) return false;
    const t = now();
    if (this.queuedBytes === 0) this.lastFlushMs = t;
    this.queuedBytes += bytes;
    this.queuedMessages += messages;
    this.lastSentMs = t;
    // Called once the bytes are handed to the kernel, or with an error once the socket is gone.
    const flushed = (): void => {
      this.queuedBytes -= bytes;
      this.queuedMessages -= messages;
      this.lastFlushMs = now();
    };
    if (payloadBytes === 0) {
      this.socket.write(frameHeader(type, 0), flushed);
      return true;
    }
    // Header and payload go out in one writev, without copying a large payload behind a 5-byte header.
    this.socket.cork();
    this.socket.write(frameHeader(type, payloadBytes));
    this.socket.write(payload!, flushed);
    this.socket.uncork();
    return true;
  }

  /**
   * Idempotent. `graceful` (after a REJECT) half-closes so that the peer can read what was sent, then resets after
   * LINGER_MS; otherwise, and when called again on a lingering socket, the socket is destroyed at once.
   */
  close(reason: string, graceful = false): void {
    if (this.state === 'closed') {
      if (!graceful && !this.socket.destroyed) this.socket.destroy();
      return;
    }
    this.state = 'closed';
    clearTimeout(this.handshakeTimer);
    clearInterval(this.ticker);
    this.handshakeTimer = undefined;
    this.ticker = undefined;
    if (graceful && !this.socket.destroyed) {
      // Whatever else the peer sends is of no interest now.
      this.socket.pause();
      this.socket.end();
      this.lingerTimer = setTimeout(() => this.socket.destroy(), LINGER_MS);
      this.lingerTimer.unref();
    } else {
      this.socket.destroy();
    }
    this.events.closed(this, reason);
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    // Any bytes count as life, so that a large frame arriving slowly is not mistaken for silence.
    this.lastReceivedMs = now();
    try {
      for (const f of this.reader.push(chunk)) {
        // A frame handler may have closed the connection: the frames after it are not to be acted on.
        if (this.isClosed()) return;
        this.events.frame(this, f);
      }
    } catch (err) {
      this.events.failed(this, err);
    }
  }

  private tick(): void {
    const t = now();
    const idle = this.o.idleTimeoutMs;
    if (t - this.lastReceivedMs > idle) return this.close(`nothing received for ${idle} ms`);
    // A peer that answers PINGs but stopped reading would otherwise hold our queue full forever.
    if (this.queuedBytes > 0 && t - this.lastFlushMs > idle) return this.close(`writes stalled for ${idle} ms`);
    if (t - this.lastSentMs >= idle / 3) this.send(FrameType.PING);
  }
}
