import type {ServerResponse} from 'node:http';
import type {Dispatcher} from 'undici';
import {clientResponseHeaders, rawHeader} from './headers.js';

/** How one attempt on one upstream ended. */
export type AttemptOutcome =
  /** The upstream's answer was relayed to the client (or the client left). */
  | {kind: 'done'; status: number}
  /** No answer: `sent` is false when the request provably never reached the upstream (connection refused, ...). */
  | {kind: 'failed'; error: Error & {code?: string}; sent: boolean}
  /** The upstream answered 502/503/504 and the request may go elsewhere: its answer was read and dropped. */
  | {kind: 'retry-status'; status: number}
  /** The upstream failed after its answer had started: the client's connection was cut (a stream resumes elsewhere). */
  | {kind: 'broken'; error: Error};

/** Errors that happen before a single byte of the request can have left: safe to send any request elsewhere. */
export const NOT_SENT: ReadonlySet<string> = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL',
  // the pool was closed before dispatch (discovery dropped the broker a moment earlier)
  'UND_ERR_CLOSED']);

export interface AttemptHooks {
  /** May a 502/503/504 answer be dropped so that the request goes elsewhere? */
  retryStatus: boolean;
  /** `relayed`: the answer goes to the client (false: it is dropped for a retry). */
  onHeaders(status: number, rawHeaders: Buffer[], relayed: boolean): void;
  onBodyBytes(n: number): void;
  /** Bytes queued on the client socket after a write (the backpressure the client applies). */
  onQueued(bytes: number): void;
}

/**
 * An undici dispatch handler that streams one upstream response to the client: the status and end-to-end headers
 * once they arrive, then every body chunk as it comes (no buffering), pausing the upstream socket whenever the
 * client's socket is full (`write()` returned false) and resuming on its 'drain'. Uses undici's native handler
 * interface (onConnect/onHeaders/onData/onComplete/onError), which is what its core calls without an adapter.
 */
export class AttemptHandler implements Dispatcher.DispatchHandler {
  private abortUpstream: ((reason?: Error) => void) | undefined;
  private committed = false;
  private discarding = false;
  private status = 0;
  private settled = false;
  private resume: (() => void) | undefined;
  /** Set when the client went away or a graceful stop ends the stream: the upstream request is aborted. */
  private endedByLb: 'client-gone' | 'drain' | undefined;
  readonly outcome: Promise<AttemptOutcome>;
  private settle!: (o: AttemptOutcome) => void;

  constructor(
    private readonly res: ServerResponse,
    private readonly hooks: AttemptHooks,
  ) {
    this.outcome = new Promise((resolve) => (this.settle = resolve));
  }

  private done(o: AttemptOutcome): void {
    if (this.settled) return;
    this.settled = true;
    if (this.resume) this.res.off('drain', this.resume);
    this.settle(o);
  }

  /** The client's connection closed before the response was complete: stop the upstream request too. */
  clientGone(): void {
    if (this.settled || this.endedByLb) return;
    this.endedByLb = 'client-gone';
    this.abortUpstream?.(new Error('client gone'));
    if (!this.abortUpstream) this.done({kind: 'done', status: 499});
  }

  /** A graceful stop: end the client's stream cleanly (it reconnects elsewhere) and abort the upstream request. */
  endForDrain(): void {
    if (this.settled || this.endedByLb) return;
    this.endedByLb = 'drain';
    this.abortUpstream?.(new Error('lb draining'));
  }

  get isCommitted(): boolean {
    return this.committed;
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.endedByLb) abort(new Error('client gone'));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx interim answers stay between the lb and the upstream
    this.status = statusCode;
    if (this.hooks.retryStatus && (statusCode === 502 || statusCode === 503 || statusCode === 504)) {
      this.discarding = true;
      this.hooks.onHeaders(statusCode, rawHeaders, false);
      return true;
    }
    this.hooks.onHeaders(statusCode, rawHeaders, true);
    this.committed = true;
    const res = this.res;
    if (res.destroyed) return true;
    res.writeHead(statusCode, clientResponseHeaders(rawHeaders));
    // SSE: send the headers now, not with the first event (which may be seconds away)
    if (rawHeader(rawHeaders, 'content-type')?.startsWith('text/event-stream')) res.flushHeaders();
    this.resume = resume;
    res.on('drain', resume);
    return !res.writableNeedDrain;
  }

  onData(chunk: Buffer): boolean {
    if (this.discarding || this.res.destroyed) return true;
    this.hooks.onBodyBytes(chunk.length);
    const ok = this.res.write(chunk);
    this.hooks.onQueued(this.res.writableLength);
    return ok;
  }

  onComplete(): void {
    if (this.discarding) return this.done({kind: 'retry-status', status: this.status});
    this.res.end();
    this.done({kind: 'done', status: this.status});
  }

  onError(err: Error & {code?: string}): void {
    if (this.endedByLb === 'client-gone') return this.done({kind: 'done', status: 499});
    if (this.endedByLb === 'drain') {
      if (!this.committed && !this.res.headersSent) this.res.writeHead(503, {'retry-after': '1'});
      this.res.end();
      return this.done({kind: 'done', status: this.status || 503});
    }
    if (this.committed) {
      // the answer has started: the client cannot be told anything else, so cut its connection rather than end a
      // truncated body cleanly (a streaming client sees the break and resumes with Last-Event-ID)
      this.res.destroy(err);
      return this.done({kind: 'broken', error: err});
    }
    this.done({kind: 'failed', error: err, sent: !NOT_SENT.has(err.code ?? '')});
  }
}
