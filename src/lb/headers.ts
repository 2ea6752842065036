import type {IncomingMessage} from 'node:http';

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) never cross the lb, and neither does the framing: the lb sends every upstream
 * request with a body it has fully read, so undici writes one Content-Length of its own and the upstream never sees
 * the client's Transfer-Encoding or Content-Length (no request smuggling through ambiguous framing).
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * Set by the lb, never taken from clients: a client could otherwise claim any address (X-Forwarded-For) or pretend to
 * be a broker forwarding a request (x-mq-hops, x-mq-forwarded-by are the brokers' own hop headers).
 */
const REPLACED = new Set(['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'forwarded', 'x-real-ip', 'x-mq-hops', 'x-mq-forwarded-by']);

/** Request headers that only make sense between the client and the lb. */
const CLIENT_ONLY = new Set(['host', 'content-length', 'expect']);

/** Headers named in a Connection header are hop-by-hop too. */
function connectionTokens(value: string | undefined): Set<string> {
  const out = new Set<string>();
  if (!value) return out;
  for (const t of value.split(',')) {
    const name = t.trim().toLowerCase();
    if (name) out.add(name);
  }
  return out;
}

/** The client's address as the lb saw it, without the IPv4-mapped prefix. */
export function clientAddress(req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/** What goes upstream: the client's end-to-end headers (duplicates kept, in order), plus the lb's forwarding headers. */
export function upstreamRequestHeaders(req: IncomingMessage, opts: {upgrade?: boolean} = {}): string[] {
  const raw = req.rawHeaders;
  const named = connectionTokens(req.headers.connection);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || REPLACED.has(name) || CLIENT_ONLY.has(name) || named.has(name)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  if (opts.upgrade && req.headers.upgrade) out.push('connection', 'upgrade', 'upgrade', req.headers.upgrade);
  out.push('x-forwarded-for', clientAddress(req), 'x-forwarded-proto', 'http');
  if (typeof req.headers.host === 'string') out.push('x-forwarded-host', req.headers.host);
  return out;
}

/**
 * The upstream's response headers for the client, from undici's raw header buffers: end-to-end headers only. Framing
 * is the lb's own: a Content-Length from the upstream is kept (the body is passed on unchanged), chunked encoding is
 * re-done by Node for the client.
 */
export function clientResponseHeaders(rawHeaders: ReadonlyArray<Buffer | string>): string[] {
  let named: Set<string> | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (str(rawHeaders[i]!).toLowerCase() === 'connection') named = connectionTokens(str(rawHeaders[i + 1]!));
  }
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = str(rawHeaders[i]!);
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named?.has(lower)) continue;
    out.push(name, str(rawHeaders[i + 1]!));
  }
  return out;
}

const str = (x: Buffer | string): string => (typeof x === 'string' ? x : x.toString('latin1'));

/** A response header's value from undici's raw list (the first one), lower-cased name. */
export function rawHeader(rawHeaders: ReadonlyArray<Buffer | string>, name: string): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) if (str(rawHeaders[i]!).toLowerCase() === name) return str(rawHeaders[i + 1]!);
  return undefined;
}
