import http, {type IncomingMessage, type ServerResponse} from 'node:http';
import net from 'node:net';
import {resolveLbConfig, startLb, type RunningLb} from '../../src/lb/index.js';
import type {StatusModel} from '../../src/observe/status-model.js';

export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>;

/**
 * A real HTTP server standing in for a broker where a test must see exactly what the lb sent: every request (after
 * Node's parser) and every raw byte that arrived on its sockets. GET /ready answers like a broker's; everything else
 * goes to `handle` (default: 200 with what it saw).
 */
export class Recorder {
  readonly seen: Seen[] = [];
  private readonly sockets: Array<{data: string; socket: net.Socket}> = [];
  ready = true;
  readonly server: http.Server;
  url = '';
  handle: Handler = (req, res, body) => json(res, 200, {method: req.method, url: req.url, headers: req.headers, body: body.toString()});

  constructor(readonly nodeId = 1) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (req.url === '/ready') return json(res, this.ready ? 200 : 503, this.ready ? {ready: true, node_id: this.nodeId} : {ready: false});
        this.seen.push({method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body});
        void this.handle(req, res, body);
      });
    });
    this.server.on('connection', (s: net.Socket) => {
      const rec = {data: '', socket: s};
      this.sockets.push(rec);
      s.on('data', (d: Buffer) => (rec.data += d.toString('latin1')));
    });
  }

  async listen(port = 0): Promise<this> {
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
    return this;
  }

  /** Every raw byte the lb sent, except on the health checker's own connection (only GET /ready). */
  get raw(): string {
    return this.sockets
      .map((s) => s.data)
      .filter((d) => !d.startsWith('GET /ready '))
      .join('');
  }

  /** Requests other than /ready, as `METHOD url`. */
  paths(): string[] {
    return this.seen.map((s) => `${s.method} ${s.url}`);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    for (const s of this.sockets) s.socket.destroy(); // upgraded ones too, which the http server no longer tracks
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export function json(res: ServerResponse, status: number, doc: unknown): void {
  const body = JSON.stringify(doc);
  res.writeHead(status, {'content-type': 'application/json', 'content-length': Buffer.byteLength(body)});
  res.end(body);
}

/** An in-process lb on port 0. Checks every 250 ms: quick to notice, slow enough that a loaded machine does not fail one. */
export async function startTestLb(upstreams: string[], flags: Record<string, unknown> = {}): Promise<RunningLb> {
  return startLb(resolveLbConfig({flags: {listen: '127.0.0.1:0', upstreams, healthIntervalMs: 250, healthTimeoutMs: 250, ...flags}, env: {}}));
}

export async function lbStatus(lb: RunningLb): Promise<StatusModel> {
  const r = await fetch(`${lb.url}/status`);
  return (await r.json()) as StatusModel;
}

/** Sends raw bytes to host:port and returns everything that came back until the server closed (or `waitMs`). */
export async function rawExchange(url: string, bytes: string, waitMs = 1000): Promise<string> {
  const {port} = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(port), '127.0.0.1');
    let out = '';
    const done = (): void => {
      clearTimeout(t);
      s.destroy();
      resolve(out);
    };
    const t = setTimeout(done, waitMs);
    s.on('data', (d: Buffer) => (out += d.toString('latin1')));
    s.on('close', done);
    s.on('error', done);
    s.write(bytes);
  });
}

/** A port nothing listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Polls until fn returns a truthy value (no fixed sleeps in tests). */
export async function until<T>(fn: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
