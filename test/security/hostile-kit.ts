import net from 'node:net';
import {expect} from 'vitest';
import type {MqClient} from '../../src/client/index.js';

/** One hostile HTTP request and the error it must get. */
export interface HostileCase {
  name: string;
  method?: string;
  path: string;
  body?: string | Buffer;
  /** Content type (default application/json); null: none. */
  type?: string | null;
  headers?: Record<string, string>;
  status: number;
  code: string;
}

export interface ErrorShape {
  error: {code: string; message: string; written: unknown; retriable: boolean; details?: Record<string, unknown>};
}

/** Sends a case with fetch and checks the answer: status, JSON, stable code, written: false, no stack trace. */
export async function checkCase(base: string, c: HostileCase): Promise<ErrorShape> {
  const headers: Record<string, string> = {...c.headers};
  const type = c.type === undefined ? 'application/json' : c.type;
  if (type !== null) headers['content-type'] = type;
  const res = await fetch(base + c.path, {method: c.method ?? 'POST', headers, body: c.body === undefined ? undefined : new Blob([c.body])});
  const text = await res.text();
  expect(res.status, text).toBe(c.status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return expectErrorBody(text, c.code);
}

export function expectErrorBody(text: string, code: string): ErrorShape {
  const body = JSON.parse(text) as ErrorShape;
  expect(body.error.code, text).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.error.written).toBe(false);
  expect(body.error.message).not.toMatch(/at .*\.(js|ts):\d+/);
  return body;
}

/** A raw HTTP exchange: writes `bytes` (or nothing), then collects everything until the server closes. */
export function rawExchange(url: string, bytes: string | Buffer | undefined, opts: {timeoutMs?: number; keepOpen?: boolean} = {}): Promise<{text: string; closed: boolean}> {
  const {hostname, port} = new URL(url);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), hostname);
    let text = '';
    const timer = setTimeout(() => (s.destroy(), resolve({text, closed: false})), opts.timeoutMs ?? 10_000);
    s.on('data', (d: Buffer) => (text += d.toString('latin1')));
    s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? undefined : (clearTimeout(timer), reject(e))));
    s.on('close', () => (clearTimeout(timer), resolve({text, closed: true})));
    if (bytes !== undefined) s.write(bytes);
  });
}

/** The status line's code and the JSON body of a raw HTTP/1.1 response. */
export function parseRaw(text: string): {status: number; body: string; head: string} {
  // interim answers (100 Continue) come first: the final response follows them
  while (/^HTTP\/1\.1 1\d\d /.test(text)) text = text.slice(text.indexOf('\r\n\r\n') + 4);
  const i = text.indexOf('\r\n\r\n');
  const head = text.slice(0, i);
  return {status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? 0), head, body: text.slice(i + 4)};
}

export interface Acked {
  topic: string;
  partition: number;
  offset: number;
  /** The value as JSON text (what a fetch returns, stringified). */
  value: string;
  key: string | null;
}

/** Reads every partition of every topic in `acked` back and checks each acknowledged message is there, unchanged. */
export async function expectAllIntact(client: MqClient, acked: readonly Acked[]): Promise<void> {
  const byTp = new Map<string, Acked[]>();
  for (const a of acked) {
    const k = `${a.topic}\0${a.partition}`;
    byTp.set(k, [...(byTp.get(k) ?? []), a]);
  }
  for (const [k, want] of byTp) {
    const [topic, p] = k.split('\0') as [string, string];
    const got = new Map<number, {value: string; key: string | null}>();
    let offset = 0;
    for (;;) {
      const page = await client.fetch(topic, Number(p), {offset, maxMessages: 1000});
      for (const m of page.messages) got.set(m.offset, {value: JSON.stringify(m.value), key: m.key});
      if (page.messages.length === 0 || page.next_offset >= page.high_watermark) break;
      offset = page.next_offset;
    }
    for (const a of want) expect(got.get(a.offset), `${topic}/${p}@${a.offset}`).toEqual({value: a.value, key: a.key});
  }
}
