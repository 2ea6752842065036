import http from 'node:http';
import net from 'node:net';
import {request} from 'undici';
import {afterEach, describe, expect, it} from 'vitest';
import type {RunningLb} from '../../src/lb/index.js';
import {SseReader} from '../helpers/sse.js';
import {json, lbStatus, Recorder, startTestLb, until} from './helpers.js';

describe('lb - streams pass through', () => {
  let up: Recorder;
  let lb: RunningLb | undefined;
  afterEach(async () => {
    await lb?.close();
    lb = undefined;
    await up?.close();
  });

  it('an SSE event reaches the client while the upstream stream is still open (no buffering), and a client that leaves ends it upstream', async () => {
    up = await new Recorder().listen();
    let release!: () => void;
    const upstreamClosed = new Promise<void>((resolve) => {
      up.handle = (_req, res) => {
        res.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-cache'});
        res.write('id: p0=1\ndata: {"n":1}\n\n');
        release = () => res.write('id: p0=2\ndata: {"n":2}\n\n');
        res.on('close', () => resolve());
      };
    });
    lb = await startTestLb([up.url]);
    const sse = new SseReader(`${lb.url}/v1/topics/t/stream`);
    const got: string[] = [];
    await sse.open((e) => void got.push(e.data));
    await until(() => got.length === 1, 5000, 'the first event');
    expect((await lbStatus(lb)).streams.open).toBe(1);
    release();
    await until(() => got.length === 2, 5000, 'the second event');
    expect(got).toEqual(['{"n":1}', '{"n":2}']);
    expect(sse.headers['content-type']).toBe('text/event-stream');
    sse.close();
    await upstreamClosed;
    await until(async () => (await lbStatus(lb!)).streams.open === 0, 5000, 'the stream to close at the lb');
  });

  it('backpressure: a client that stops reading stops the upstream; nothing is lost when it reads again', async () => {
    const TOTAL = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let written = 0;
    let blockedAt = -1;
    up = await new Recorder().listen();
    up.handle = (_req, res) => {
      res.writeHead(200, {'content-type': 'application/octet-stream', 'content-length': TOTAL});
      const pump = (): void => {
        while (written < TOTAL) {
          written += chunk.length;
          if (!res.write(chunk)) {
            blockedAt = written;
            res.once('drain', () => ((blockedAt = -1), pump()));
            return;
          }
        }
        res.end();
      };
      pump();
    };
    lb = await startTestLb([up.url]);
    const {port} = new URL(lb.url);
    const sock = net.connect(Number(port), '127.0.0.1');
    sock.write(`GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    sock.pause();
    // the upstream blocks on a full socket and stays blocked while the client reads nothing
    let last = -2;
    await until(
      async () => {
        const steady = blockedAt !== -1 && blockedAt === last;
        last = blockedAt;
        await new Promise((r) => setTimeout(r, 200));
        return steady;
      },
      20_000,
      'the upstream to block',
    );
    expect(written).toBeLessThan(TOTAL / 2);
    // what is held between the two sockets is kernel buffers and one chunk, not the response
    expect(process.memoryUsage().arrayBuffers).toBeLessThan(TOTAL / 2);
    let received = 0;
    sock.on('data', (d: Buffer) => (received += d.length));
    sock.resume();
    await new Promise<void>((resolve) => sock.once('close', () => resolve()));
    expect(received).toBeGreaterThan(TOTAL);
    expect(written).toBe(TOTAL);
  });

  it('a graceful stop ends streams at once, lets a request in flight finish, and refuses new connections', async () => {
    up = await new Recorder().listen();
    let answerSlow!: () => void;
    up.handle = (req, res) => {
      if (req.url === '/slow') return void (answerSlow = () => json(res, 200, {slow: true}));
      res.writeHead(200, {'content-type': 'text/event-stream'});
      res.write(': open\n\n');
    };
    lb = await startTestLb([up.url]);
    const sse = new SseReader(`${lb.url}/v1/topics/t/stream`);
    await sse.open();
    const slow = request(`${lb.url}/slow`);
    await until(() => up.seen.length === 2 && answerSlow, 5000, 'both requests upstream');
    const closing = lb.close();
    await sse.finished();
    await until(async () => (await fetch(`http://127.0.0.1:${lb!.port}/health`).then(() => 'open', () => 'refused')) === 'refused', 5000, 'the listener to close');
    answerSlow();
    const r = await slow;
    expect(r.statusCode).toBe(200);
    expect(await r.body.json()).toEqual({slow: true});
    await closing;
    lb = undefined;
  });

  it('an Upgrade (WebSocket) is tunnelled both ways', async () => {
    up = await new Recorder().listen();
    up.server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Seen-For: ${req.headers['x-forwarded-for']}\r\n\r\n`);
      socket.on('data', (d: Buffer) => socket.write(`echo:${d.toString()}`));
    });
    lb = await startTestLb([up.url]);
    const {socket, headers} = await new Promise<{socket: net.Socket; headers: http.IncomingHttpHeaders}>((resolve, reject) => {
      const req = http.request(`${lb!.url}/v1/ws`, {headers: {connection: 'Upgrade', upgrade: 'websocket', 'x-forwarded-for': '6.6.6.6'}});
      req.on('upgrade', (res, s) => resolve({socket: s, headers: res.headers}));
      req.on('error', reject);
      req.end();
    });
    expect(headers['x-seen-for']).toBe('127.0.0.1');
    const echoed = new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
    socket.write('ping');
    expect(await echoed).toBe('echo:ping');
    // an open tunnel holds its broker: in flight and an open stream there until it closes
    expect((await lbStatus(lb)).lb!.upstreams[0]).toMatchObject({in_flight: 1, open_streams: 1});
    socket.destroy();
    await until(async () => (await lbStatus(lb!)).lb!.upstreams[0]!.in_flight === 0, 5000, 'the tunnel to be counted out');
    expect((await lbStatus(lb)).lb!.upstreams[0]!.open_streams).toBe(0);
  });
});
