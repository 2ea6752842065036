import {randomUUID} from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {MqClient} from '../../src/index.js';
import {eventId, SESSION_PATTERN, TOPICS, type ChatEvent, type ControlMessage, type PromptJob} from './protocol.js';
import {retrying} from './retry.js';
import {ensureChatTopics} from './setup.js';
import {mintReadToken, type ReadToken} from './read-token.js';

export interface WebServerOptions {
  /** mq as this server reaches it (the lb, or a broker): it publishes prompts and cancels there. */
  mqUrl: string;
  /** mq as the browser reaches it, for the SSE stream (default mqUrl). Its brokers must allow this server's origin (--cors-origin). */
  publicMqUrl?: string;
  /** A token allowed to write the chat topics and mint read tokens; without it the page streams with no token. */
  token?: string;
  /** How long the page's read token lives (ms). */
  readTokenTtlMs?: number;
  host?: string;
  port?: number;
  newAnswerId?: () => string;
}

export interface WebServer {
  url: string;
  close(): Promise<void>;
}

const PUBLIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');
const FILES: Record<string, string> = {'/': 'index.html', '/chat.js': 'chat.js', '/chat.css': 'chat.css'};
const TYPES: Record<string, string> = {'.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8'};
const BODY_BYTES_MAX = 16 * 1024;
const PROMPT_CHARS_MAX = 2000;

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The chat's web side: serves the page, and does for it what a browser must not do itself: publish prompts and
 * cancels (it needs a write token), and mint the short-lived read token the page streams its session with. It keeps
 * no state: the conversation lives in mq, so any number of these can run behind any balancer.
 */
export async function startWebServer(o: WebServerOptions): Promise<WebServer> {
  const mq = new MqClient({url: o.mqUrl, token: o.token});
  await retrying(() => ensureChatTopics(mq));
  const publicMq = (o.publicMqUrl ?? o.mqUrl).replace(/\/+$/, '');
  const newAnswerId = o.newAnswerId ?? (() => randomUUID());
  const csp = `default-src 'self'; connect-src 'self' ${new URL(publicMq).origin}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

  const api = async (route: string, body: Record<string, unknown>): Promise<unknown> => {
    const session = body.session;
    if (typeof session !== 'string' || !SESSION_PATTERN.test(session)) throw new HttpProblem(400, 'session must match [A-Za-z0-9_-]{1,64}');
    if (route === '/api/token') {
      if (!o.token) return {token: null, expires_at: null};
      const t: ReadToken = await mintReadToken(mq, {topic: TOPICS.chat, key: session, ttlMs: o.readTokenTtlMs ?? 60_000});
      return t;
    }
    if (route === '/api/ask') {
      const text = body.text;
      if (typeof text !== 'string' || text.trim() === '' || text.length > PROMPT_CHARS_MAX) throw new HttpProblem(400, `text must be 1..${PROMPT_CHARS_MAX} characters`);
      const answer = newAnswerId();
      const user: ChatEvent = {type: 'user', answer, text};
      // the question goes into the conversation first, so it is shown (and kept) before its answer
      await retrying(() => mq.produceOne(TOPICS.chat, {key: session, id: eventId(user), value: user}));
      const job: PromptJob = {session, answer, text};
      await retrying(() => mq.produceOne(TOPICS.prompts, {key: session, id: answer, value: job}));
      return {answer};
    }
    if (route === '/api/cancel') {
      const answer = body.answer;
      if (typeof answer !== 'string' || answer.length > 128) throw new HttpProblem(400, 'answer must be an answer id');
      const c: ControlMessage = {type: 'cancel', session, answer};
      await retrying(() => mq.produceOne(TOPICS.control, {key: session, id: `cancel/${answer}`, value: c}));
      return {cancelled: answer};
    }
    throw new HttpProblem(404, 'no such endpoint');
  };

  const server = http.createServer((req, res) => {
    const send = (status: number, body: string | Buffer, type: string): void => {
      res.writeHead(status, {'content-type': type, 'cache-control': 'no-store', 'content-security-policy': csp, 'x-content-type-options': 'nosniff'});
      res.end(body);
    };
    const json = (status: number, v: unknown): void => send(status, JSON.stringify(v), 'application/json; charset=utf-8');
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && FILES[url.pathname]) {
      const file = FILES[url.pathname]!;
      return send(200, fs.readFileSync(path.join(PUBLIC_DIR, file)), TYPES[path.extname(file)]!);
    }
    if (req.method === 'GET' && url.pathname === '/api/config') {
      return json(200, {stream_url: `${publicMq}/v1/topics/${TOPICS.chat}/stream`, auth: Boolean(o.token)});
    }
    if (req.method !== 'POST' || !url.pathname.startsWith('/api/')) return json(404, {error: 'not found'});
    // JSON only: a cross-site form post (text/plain, urlencoded) cannot trigger a publish
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return json(415, {error: 'send application/json'});
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > BODY_BYTES_MAX) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        if (typeof body !== 'object' || body === null) throw new Error('not an object');
      } catch {
        return json(400, {error: 'the body must be a JSON object'});
      }
      api(url.pathname, body).then(
        (v) => json(200, v),
        (e: unknown) => json(e instanceof HttpProblem ? e.status : 502, {error: e instanceof Error ? e.message : String(e)}),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as {port: number};
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${addr.port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await mq.close();
    },
  };
}
