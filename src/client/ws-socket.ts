import {WebSocket} from 'ws';
import {MqError} from '../errors.js';

/** A frame from the broker (docs/api.md, WebSocket). */
export interface ServerFrame {
  type: 'produced' | 'subscribed' | 'message' | 'checkpoint' | 'gap' | 'unsubscribed' | 'pong' | 'error';
  id: string | number | null;
  position?: string;
  message?: {topic: string; partition: number; offset: number; key: string | null; id: string | null; value?: unknown; [k: string]: unknown};
  results?: Array<{partition: number; offset?: number; duplicate?: boolean; error?: {code: string; message: string}}>;
  errors?: number;
  error?: {code: string; message: string; written: boolean | 'unknown'; retriable: boolean; details?: Record<string, unknown>};
  [k: string]: unknown;
}

export interface MqSocketOptions {
  /** Sent as `Authorization: Bearer`. */
  token?: string;
  /** An ephemeral read token sent as `?access_token=` (what a browser, which cannot set headers, does). */
  accessToken?: string;
  /** The broker's ping interval for this connection. */
  heartbeatMs?: number;
  /** CA certificate(s), PEM, for a wss:// broker with a private CA. */
  ca?: string | Buffer | Array<string | Buffer>;
}

/** Answers that end a request: everything but the stream frames of a subscription. */
const FINAL = new Set(['produced', 'subscribed', 'unsubscribed', 'pong', 'error']);

/**
 * A small Node client for `GET /v1/ws`: request/response by id, and every frame for whoever listens. It does not
 * reconnect by itself: on close, open a new one and subscribe with `from` = the last position seen (`lastPosition`).
 */
export class MqSocket {
  readonly closed: Promise<{code: number; reason: string}>;
  /** The last position each subscription id reached (from message and checkpoint frames). */
  readonly lastPosition = new Map<string | number, string>();
  private readonly waiting = new Map<string | number, (f: ServerFrame) => void>();
  private readonly listeners = new Set<(f: ServerFrame) => void>();
  private nextId = 1;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({code, reason: reason.toString()})));
    ws.on('error', () => {});
    ws.on('message', (data) => {
      const f = JSON.parse(String(data)) as ServerFrame;
      if (f.id !== null && (f.type === 'message' || f.type === 'checkpoint') && f.position !== undefined) this.lastPosition.set(f.id, f.position);
      for (const l of this.listeners) l(f);
      if (f.id !== null && FINAL.has(f.type)) {
        const w = this.waiting.get(f.id);
        this.waiting.delete(f.id);
        w?.(f);
      }
    });
  }

  /** Opens a connection to a broker or lb base URL (http://, https://, ws:// or wss://). */
  static connect(url: string, opts: MqSocketOptions = {}): Promise<MqSocket> {
    const u = new URL('/v1/ws', url.replace(/^http/, 'ws'));
    if (opts.heartbeatMs !== undefined) u.searchParams.set('heartbeat_ms', String(opts.heartbeatMs));
    if (opts.accessToken !== undefined) u.searchParams.set('access_token', opts.accessToken);
    const ws = new WebSocket(u, {headers: opts.token ? {authorization: `Bearer ${opts.token}`} : {}, ...(opts.ca ? {ca: opts.ca} : {})});
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new MqSocket(ws)));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => reject(bodyError(res.statusCode ?? 0, body)));
      });
      ws.once('error', (e) => reject(new MqError('UNAVAILABLE', `cannot open ${u.href}: ${e.message}`, undefined, false)));
    });
  }

  /** Every frame the broker sends; returns a function that stops listening. */
  onFrame(listener: (f: ServerFrame) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends a frame (an id is added when it has none) and resolves with its answer (an error frame too). */
  request(frame: Record<string, unknown>): Promise<ServerFrame> {
    const id = (frame.id as string | number | undefined) ?? this.nextId++;
    const answer = new Promise<ServerFrame>((resolve, reject) => {
      this.waiting.set(id, resolve);
      void this.closed.then(({code, reason}) => reject(new MqError('UNAVAILABLE', `the connection closed (${code} ${reason})`, undefined, 'unknown')));
    });
    this.ws.send(JSON.stringify({...frame, id}));
    return answer;
  }

  /** Produces a batch; resolves after it is durable with the HTTP batch answer, rejects with the request's error. */
  async produce(topic: string, messages: Array<Record<string, unknown>>, opts: {acks?: 'all' | 'leader'} = {}): Promise<Required<Pick<ServerFrame, 'results' | 'errors'>>> {
    const f = await this.request({type: 'produce', topic, messages, ...(opts.acks ? {acks: opts.acks} : {})});
    if (f.type === 'error') throw MqError.fromBody(0, f);
    return {results: f.results!, errors: f.errors!};
  }

  /** Starts a subscription; its frames carry `id`. Resolves with its starting position, rejects with its error. */
  async subscribe(id: string | number, topic: string, opts: {from?: string | number; partition?: number; key?: string} = {}): Promise<string> {
    const f = await this.request({type: 'subscribe', id, topic, ...opts});
    if (f.type === 'error') throw MqError.fromBody(0, f);
    return f.position!;
  }

  /** Sends text as it is (for tests of bad frames). */
  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, {binary});
  }

  close(): Promise<{code: number; reason: string}> {
    this.ws.close(1000);
    return this.closed;
  }
}

function bodyError(status: number, body: string): MqError {
  try {
    return MqError.fromBody(status, JSON.parse(body));
  } catch {
    return new MqError('UNAVAILABLE', `the upgrade was answered ${status}`, undefined, false);
  }
}
