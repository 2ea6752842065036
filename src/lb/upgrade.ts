import http, {type IncomingMessage} from 'node:http';
import type {Duplex} from 'node:stream';
import type {Dispatcher} from 'undici';
import {MqError} from '../errors.js';
import {NOT_SENT} from './attempt.js';
import {clientResponseHeaders, upstreamRequestHeaders} from './headers.js';
import type {ProxyContext} from './proxy.js';
import type {Upstream} from './upstream.js';


function head(status: number, headers: string[]): string {
  let out = `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n`;
  for (let i = 0; i < headers.length; i += 2) out += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return out + '\r\n';
}

/**
 * One upgrade attempt through undici (dispatch with `upgrade`): on 101 the two sockets are joined, both ways, with
 * backpressure (pipe) and the streams' idle timeout; any other answer is relayed to the client as it is, and the
 * connection closed.
 */
class UpgradeHandler implements Dispatcher.DispatchHandler {
  wrote = false;
  readonly done: Promise<{ok: true} | {ok: false; error: Error & {code?: string}}>;
  private finish!: (r: {ok: true} | {ok: false; error: Error & {code?: string}}) => void;

  constructor(
    private readonly client: Duplex,
    private readonly early: Buffer,
    private readonly idleMs: number,
    private readonly tunnels: Set<Duplex>,
    private readonly up: Upstream,
  ) {
    this.done = new Promise((r) => (this.finish = r));
  }

  onConnect(): void {}

  onUpgrade(statusCode: number, rawHeaders: Buffer[] | string[] | null, upstream: Duplex): void {
    const h: string[] = [];
    const raw = rawHeaders ?? [];
    for (let i = 0; i < raw.length; i += 2) h.push(String(raw[i]), String(raw[i + 1]));
    this.wrote = true;
    this.client.write(head(statusCode, h));
    if (this.early.length > 0) upstream.write(this.early);
    // the http server no longer tracks an upgraded socket: the lb does, so that a stop can close it
    this.tunnels.add(this.client);
    // a tunnel holds its broker until it closes: counted in flight like a stream, so least-in-flight spreads them
    this.up.inFlight++;
    this.up.openStreams++;
    this.client.once('close', () => {
      this.tunnels.delete(this.client);
      this.up.inFlight--;
      this.up.openStreams--;
    });
    for (const s of [this.client, upstream]) {
      (s as Duplex & {setTimeout?: (ms: number, cb: () => void) => void}).setTimeout?.(this.idleMs, () => s.destroy());
      s.on('error', () => (this.client.destroy(), upstream.destroy()));
      s.on('close', () => (this.client.destroy(), upstream.destroy()));
      // no half-open tunnels (nginx closes both sides too): a side that ended is done, so both are ended (what was
      // queued is still sent), else a peer that never closes its side would hold the tunnel until the idle timeout
      s.on('end', () => (this.client.end(), upstream.end()));
    }
    upstream.pipe(this.client);
    this.client.pipe(upstream);
    this.finish({ok: true});
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200) return true;
    const h = clientResponseHeaders(rawHeaders);
    h.push('connection', 'close');
    this.wrote = true;
    this.client.write(head(statusCode, h));
    return true;
  }

  onData(chunk: Buffer): boolean {
    return this.client.write(chunk);
  }

  onComplete(): void {
    this.client.end();
    this.finish({ok: true});
  }

  onError(error: Error & {code?: string}): void {
    if (this.wrote) this.client.destroy();
    this.finish({ok: false, error});
  }
}

/** `Upgrade:` requests (WebSocket): passed to an upstream like any request, then tunnelled until either side closes. */
export async function proxyUpgrade(ctx: ProxyContext, req: IncomingMessage, client: Duplex, early: Buffer): Promise<void> {
  client.on('error', () => client.destroy());
  const protocol = req.headers.upgrade ?? '';
  const headers = upstreamRequestHeaders(req);
  const tried = new Set<string>();
  let last: (Error & {code?: string}) | undefined;
  // a tunnel opened while the lb drains would outlive the drain (it destroyed the open ones already)
  for (let n = 0; n <= ctx.config.retries && !ctx.draining(); n++) {
    const up = ctx.upstreams.pick(tried);
    if (!up || client.destroyed) break;
    tried.add(up.url);
    const handler = new UpgradeHandler(client, early, ctx.config.streamIdleTimeoutMs, ctx.tunnels, up);
    up.requests++;
    up.pool.dispatch({method: 'GET', path: req.url ?? '/', headers, upgrade: protocol, headersTimeout: ctx.config.upstreamHeadersTimeoutMs}, handler);
    const r = await handler.done;
    if (r.ok) return;
    up.failures++;
    up.health.requestFailed(`${r.error.name}: ${r.error.code ?? r.error.message}`);
    last = r.error;
    if (handler.wrote || !NOT_SENT.has(r.error.code ?? '')) break;
  }
  if (client.destroyed) return;
  const e = ctx.draining()
    ? new MqError('SHUTTING_DOWN', 'the lb is stopping')
    : last
      ? new MqError('UPSTREAM_FAILED', `the upgrade failed: ${last.code ?? last.message}`, undefined, false)
      : new MqError('NO_UPSTREAM', 'no healthy upstream');
  const body = JSON.stringify(e.toBody());
  ctx.stats.errors++;
  client.end(head(e.status, ['content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(body)), 'connection', 'close']) + body);
}
