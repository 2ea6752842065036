import {Pool} from 'undici';
import type {OpError} from './history.js';

/**
 * The chaos clients' HTTP: raw requests (no client-library retries, so the history shows exactly what was sent and
 * answered) with a deadline, and each outcome classified the way the checker needs it:
 * `ok` (2xx), `fail` (the broker said `written: false`, or the request never reached anything), or `info`
 * (timeouts, cut connections, `written: "unknown"`, answers that say nothing about `written`).
 */
export interface Outcome {
  type: 'ok' | 'fail' | 'info';
  status: number | null;
  body: any;
  error?: OpError;
  /** `details` of an error answer. */
  details?: Record<string, unknown>;
}

export class Http {
  private readonly pools = new Map<string, Pool>();

  private pool(origin: string): Pool {
    let p = this.pools.get(origin);
    if (!p) this.pools.set(origin, (p = new Pool(origin, {connections: 16, pipelining: 1, keepAliveTimeout: 2000})));
    return p;
  }

  async request(origin: string, method: 'GET' | 'POST', path: string, opts: {body?: unknown; headers?: Record<string, string>; timeoutMs: number; signal?: AbortSignal}): Promise<Outcome> {
    const headers: Record<string, string> = {...opts.headers};
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), opts.timeoutMs);
    const onAbort = (): void => ac.abort();
    opts.signal?.addEventListener('abort', onAbort);
    try {
      const res = await this.pool(origin).request({
        method,
        path,
        headers,
        body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
        signal: ac.signal,
        headersTimeout: opts.timeoutMs,
        bodyTimeout: opts.timeoutMs,
      });
      const text = await res.body.text();
      let body: any;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      return classify(res.statusCode, body);
    } catch (error) {
      const code = (error as {code?: string}).code ?? (error as Error).name;
      // nothing listening at the proxy itself: the request never left this process
      if (code === 'ECONNREFUSED') return {type: 'fail', status: null, body: undefined, error: {code, written: false, status: null}};
      return {type: 'info', status: null, body: undefined, error: {code, written: 'unknown', status: null}};
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.destroy()));
    this.pools.clear();
  }
}

export function classify(status: number, body: any): Outcome {
  if (status >= 200 && status < 300) return {type: 'ok', status, body};
  const e = body?.error as {code?: string; written?: boolean | 'unknown'; details?: Record<string, unknown>} | undefined;
  const error: OpError = {code: e?.code ?? `HTTP_${status}`, written: e?.written ?? null, status};
  const type = e?.written === false ? 'fail' : 'info';
  return {type, status, body, error, ...(e?.details ? {details: e.details} : {})};
}
