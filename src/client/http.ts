import {Pool, errors as undiciErrors, type Dispatcher} from 'undici';
import {MqError} from '../errors.js';

export interface HttpOptions {
  /** Per-request ceiling for headers and body, on top of any long-poll wait. */
  timeoutMs: number;
  token?: string;
  connections?: number;
  /** CA certificate(s), PEM, that signed the broker's (or lb's) https certificate; default: the system's roots. */
  ca?: string | Buffer | Array<string | Buffer>;
}

export interface RequestOptions {
  method: Dispatcher.HttpMethod;
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: string | Buffer;
  contentType?: string;
  /** Extra time the server may legitimately hold the request (long-poll wait). */
  waitMs?: number;
  signal?: AbortSignal;
  /** Is it safe to say nothing was written when the connection fails after sending? (reads: yes) */
  idempotent?: boolean;
  headers?: Record<string, string>;
}

function queryString(q: RequestOptions['query']): string {
  if (!q) return '';
  const parts = Object.entries(q)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/** What Node's TLS reports when it cannot verify the server's certificate: nothing was sent. */
const CERT_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Connection failures become typed errors; `written` says whether a write could have happened. */
function transportError(error: unknown, opts: RequestOptions, base: string): MqError {
  const err = error as NodeJS.ErrnoException & {code?: string};
  const code = err.code ?? '';
  if (CERT_ERRORS.has(code)) {
    return new MqError('TLS_CERT_UNTRUSTED', `the certificate of ${base} is not trusted (${code}: ${err.message}); give the CA that signed it (--ca FILE or MQ_CA, or the client's ca option)`, {cause: code}, false);
  }
  const before = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT'].includes(code);
  const written = opts.idempotent || before ? false : 'unknown';
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
    return new MqError('TIMEOUT', `no answer from ${base} in time`, undefined, opts.idempotent ? false : 'unknown');
  }
  if ((error as Error).name === 'AbortError') return new MqError('TIMEOUT', 'request aborted', undefined, written);
  return new MqError('UNAVAILABLE', `cannot reach ${base}: ${err.message}`, {cause: code}, written);
}

/** A keep-alive connection pool to one broker (or lb), speaking JSON. */
export class HttpTransport {
  private readonly pool: Pool;

  constructor(
    readonly baseUrl: string,
    private readonly opts: HttpOptions,
  ) {
    this.pool = new Pool(baseUrl, {connections: opts.connections ?? 16, pipelining: 1, keepAliveTimeout: 30_000, ...(opts.ca ? {connect: {ca: opts.ca}} : {})});
  }

  async request<T>(opts: RequestOptions): Promise<{status: number; body: T}> {
    const headers: Record<string, string> = {accept: 'application/json', ...opts.headers};
    if (opts.body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    const timeout = this.opts.timeoutMs + (opts.waitMs ?? 0);
    let res: Dispatcher.ResponseData;
    try {
      res = await this.pool.request({
        method: opts.method,
        path: opts.path + queryString(opts.query),
        headers,
        body: opts.body,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        signal: opts.signal,
      });
    } catch (error) {
      throw transportError(error, opts, this.baseUrl);
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (error) {
      throw transportError(error, opts, this.baseUrl);
    }
    let body: unknown = undefined;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        if (res.statusCode < 400) throw new MqError('INTERNAL', `${this.baseUrl} answered ${res.statusCode} with a body that is not JSON`, undefined, 'unknown');
      }
    }
    if (res.statusCode >= 400) throw MqError.fromBody(res.statusCode, body);
    return {status: res.statusCode, body: body as T};
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
