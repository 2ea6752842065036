import type {WebSocket} from 'ws';
import type {Broker} from '../../broker/broker.js';
import {formatPositions} from '../../broker/stream-position.js';
import {MqError} from '../../errors.js';
import {planStream, runStream} from '../stream-reader.js';
import {errorFrame, FrameError, parseFrame, type ClientFrame, type FrameId} from './ws-frames.js';

/** Limits of one connection (docs/api.md, WebSocket: Limits). */
export const WS_LIMITS = {
  subscriptionsMax: 64,
  /** Produce frames waiting their turn; past this the connection is not read until they are written. */
  producesQueuedMax: 64,
  /** Bytes waiting to be sent above which subscriptions stop reading their logs and requests are not read. */
  sendPauseBytes: 1024 * 1024,
};

export interface ConnectionHooks {
  /** Runs a produce frame (the HTTP produce path) and returns its answer frame. */
  produce(frame: Extract<ClientFrame, {type: 'produce'}>): Promise<string>;
  /** Throws when the connection's token may not read this topic (and key). */
  authorizeSubscribe(topic: string, key: string | undefined): void;
  heartbeatMs: number;
  /** A connection whose unsent bytes do not drain for this long is closed (1008). */
  stallMs: number;
}

interface Subscription {
  abort: AbortController;
  position: string;
  /** Resolves when its loop has returned: nothing more is sent for it after that. */
  done: Promise<void>;
}

const key = (id: FrameId): string => (typeof id === 'number' ? `n${id}` : `s${id}`);

/**
 * One WebSocket client: produces run one after another in arrival order (so one connection's messages keep their
 * order), subscriptions run the SSE stream loop (stream-reader.ts) with frames instead of events. Everything the
 * broker sends is bounded: subscriptions and request reading pause while more than sendPauseBytes wait to be sent, and
 * a connection that does not drain for stallMs is closed with 1008.
 */
export class WsConnection {
  private readonly subs = new Map<string, Subscription>();
  private readonly produces: Array<Extract<ClientFrame, {type: 'produce'}>> = [];
  private producing = false;
  private closed = false;
  private paused = false;
  private writableWaiters: Array<() => void> = [];
  private stallTimer: NodeJS.Timeout | undefined;
  private readonly heartbeat: NodeJS.Timeout;
  private answeredPing = true;
  private corked = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly broker: Broker,
    private readonly hooks: ConnectionHooks,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      try {
        this.onFrame(data, isBinary);
      } catch (error) {
        // a bug must cost one answer, not the broker (an exception here would be uncaught)
        this.send(errorFrame(null, this.unexpected(error)));
      }
    });
    ws.on('pong', () => (this.answeredPing = true));
    ws.on('error', () => {}); // 'close' follows; ws already sent the close code (1007, 1009, ...)
    ws.once('close', () => this.onClose());
    this.heartbeat = setInterval(() => this.beat(), hooks.heartbeatMs);
  }

  /** Closes with a code and reason (the broker stopping: 1001). */
  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  private beat(): void {
    // while the broker does not read the connection (the client is not reading), its pong cannot be seen: the stall
    // rule covers that case
    if (!this.answeredPing && !this.paused) return void this.ws.terminate();
    this.answeredPing = false;
    this.ws.ping();
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    if (isBinary) return this.send(errorFrame(null, new MqError('UNSUPPORTED_MEDIA_TYPE', 'frames are JSON text frames; this one was binary')));
    let frame: ClientFrame;
    try {
      frame = parseFrame(data);
    } catch (error) {
      if (error instanceof FrameError) return this.send(errorFrame(error.id, error.error));
      throw error;
    }
    switch (frame.type) {
      case 'ping':
        return this.send(`{"type":"pong","id":${JSON.stringify(frame.id)},"time":${this.broker.clock.now()}}`);
      case 'produce':
        this.produces.push(frame);
        this.flow();
        return void this.drainProduces();
      case 'subscribe':
        return this.subscribe(frame);
      case 'unsubscribe':
        return void this.unsubscribe(frame.id);
    }
  }

  private async drainProduces(): Promise<void> {
    if (this.producing) return;
    this.producing = true;
    try {
      while (!this.closed && this.produces.length > 0) {
        const frame = this.produces[0]!;
        let answer: string;
        try {
          answer = await this.hooks.produce(frame);
        } catch (error) {
          answer = errorFrame(frame.id, this.unexpected(error));
        }
        this.produces.shift();
        this.send(answer);
        this.flow();
      }
    } finally {
      this.producing = false;
    }
  }

  private subscribe(frame: Extract<ClientFrame, {type: 'subscribe'}>): void {
    const k = key(frame.id);
    if (this.subs.has(k)) return this.send(errorFrame(frame.id, new MqError('BAD_REQUEST', `subscription ${JSON.stringify(frame.id)} is active on this connection: use another id`, {field: 'id'})));
    if (this.subs.size >= WS_LIMITS.subscriptionsMax) {
      return this.send(errorFrame(frame.id, new MqError('TOO_MANY_SUBSCRIPTIONS', `this connection holds ${WS_LIMITS.subscriptionsMax} subscriptions: unsubscribe one first`, {max: WS_LIMITS.subscriptionsMax})));
    }
    const sub: Subscription = {abort: new AbortController(), position: '', done: Promise.resolve()};
    this.subs.set(k, sub);
    sub.done = this.runSubscription(frame, sub).catch((error: unknown) => {
      if (this.subs.get(k) === sub) this.subs.delete(k);
      if (!sub.abort.signal.aborted) this.send(errorFrame(frame.id, error instanceof MqError ? error : this.unexpected(error)));
    });
  }

  private async runSubscription(frame: Extract<ClientFrame, {type: 'subscribe'}>, sub: Subscription): Promise<void> {
    const id = JSON.stringify(frame.id);
    this.hooks.authorizeSubscribe(frame.topic, frame.key);
    const plan = await planStream(this.broker, {topic: frame.topic, from: frame.from, resume: frame.resume, partition: frame.partition, key: frame.key});
    if (sub.abort.signal.aborted) return;
    sub.position = formatPositions(plan.pos);
    this.send(`{"type":"subscribed","id":${id},"topic":${JSON.stringify(plan.name)},"position":"${sub.position}"}`);
    const stats = this.broker.streams;
    stats.open++;
    let end;
    try {
      end = await runStream(this.broker, plan, {
        message: async (position, json) => {
          sub.position = position;
          this.send(`{"type":"message","id":${id},"position":"${position}","message":${json}}`);
          stats.events++;
          await this.writable(sub.abort.signal);
        },
        checkpoint: async (position) => {
          sub.position = position;
          this.send(`{"type":"checkpoint","id":${id},"position":"${position}"}`);
          await this.writable(sub.abort.signal);
        },
        gap: async (p, from, to) => {
          this.send(`{"type":"gap","id":${id},"partition":${p},"from":${from},"to":${to},"reason":"retention"}`);
          await this.writable(sub.abort.signal);
        },
        heartbeat: async () => {},
      }, {heartbeatMs: this.hooks.heartbeatMs, signal: sub.abort.signal});
    } finally {
      stats.open--;
    }
    if (end === 'topic-deleted') {
      this.subs.delete(key(frame.id));
      this.send(errorFrame(frame.id, new MqError('TOPIC_NOT_FOUND', `topic ${plan.name} was deleted`, {topic: plan.name})));
    }
  }

  private async unsubscribe(id: FrameId): Promise<void> {
    const k = key(id);
    const sub = this.subs.get(k);
    if (!sub) return this.send(errorFrame(id, new MqError('BAD_REQUEST', `no active subscription ${JSON.stringify(id)} on this connection`, {field: 'id'})));
    this.subs.delete(k);
    sub.abort.abort();
    await sub.done;
    this.send(`{"type":"unsubscribed","id":${JSON.stringify(id)},"position":"${sub.position}"}`);
  }

  private unexpected(error: unknown): MqError {
    if (error instanceof MqError) return error;
    this.broker.logger.error({err: error}, 'websocket request failed');
    return new MqError('INTERNAL', 'internal error', undefined, 'unknown');
  }

  private send(text: string): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.cork();
    this.ws.send(text, () => this.flow());
    const stats = this.broker.streams;
    stats.queuedBytesMax = Math.max(stats.queuedBytesMax, this.ws.bufferedAmount);
    this.flow();
  }

  /**
   * Frames sent in one turn of the event loop (a page of a subscription: its sends chain through resolved promises)
   * leave in one write instead of one system call each. ws has no public handle on its socket; `_socket` is stable.
   */
  private cork(): void {
    if (this.corked) return;
    const socket = (this.ws as unknown as {_socket?: {cork(): void; uncork(): void}})._socket;
    if (!socket) return;
    this.corked = true;
    socket.cork();
    process.nextTick(() => {
      this.corked = false;
      socket.uncork();
    });
  }

  /**
   * Re-evaluates backpressure after every send and every flushed write: pause reading the client while too much waits
   * to go out (or too many produces wait), release waiting subscriptions once it drained, and watch for a stall.
   */
  private flow(): void {
    if (this.closed) return;
    const full = this.ws.bufferedAmount > WS_LIMITS.sendPauseBytes;
    const pause = full || this.produces.length >= WS_LIMITS.producesQueuedMax;
    if (pause !== this.paused) {
      this.paused = pause;
      if (pause) this.ws.pause();
      else this.ws.resume();
    }
    if (full) {
      this.stallTimer ??= setTimeout(() => this.stalled(), this.hooks.stallMs);
      return;
    }
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    const waiters = this.writableWaiters;
    this.writableWaiters = [];
    for (const w of waiters) w();
  }

  private stalled(): void {
    this.stallTimer = undefined;
    const waiting = this.ws.bufferedAmount;
    if (waiting <= WS_LIMITS.sendPauseBytes) return this.flow();
    this.broker.logger.info({waiting}, 'websocket reader stalled: closing');
    this.ws.close(1008, `slow reader: ${waiting} bytes unsent for ${this.hooks.stallMs} ms`);
    this.onClose();
  }

  /** Resolves once the send buffer is below the pause mark (or the subscription ended, or the connection closed). */
  private writable(signal: AbortSignal): Promise<void> {
    if (this.closed || signal.aborted || this.ws.bufferedAmount <= WS_LIMITS.sendPauseBytes) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      signal.addEventListener('abort', done, {once: true});
      this.writableWaiters.push(done);
    });
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    // read again: the close handshake needs the client's close frame
    if (this.paused) this.ws.resume();
    this.paused = false;
    clearInterval(this.heartbeat);
    if (this.stallTimer) clearTimeout(this.stallTimer);
    for (const sub of this.subs.values()) sub.abort.abort();
    this.subs.clear();
    this.produces.length = 0;
    for (const w of this.writableWaiters) w();
    this.writableWaiters = [];
  }
}
