import crypto from 'node:crypto';
import {afterEach, describe, expect, it} from 'vitest';
import type {StatusModel} from '../../src/observe/status-model.js';
import {startTestBroker, waitFor, type TestBroker} from '../helpers/broker.js';
import {SseReader, type SseEvent} from '../helpers/sse.js';

describe('/status/stream - the /status model over SSE', () => {
  const started: TestBroker[] = [];
  const readers: SseReader[] = [];
  afterEach(async () => {
    readers.splice(0).forEach((r) => r.close());
    for (const b of started.splice(0)) await b.stop({purge: true}).catch(() => {});
  });
  const start = async (overrides: Parameters<typeof startTestBroker>[0] = {}): Promise<TestBroker> => {
    const b = await startTestBroker(overrides);
    started.push(b);
    return b;
  };
  const open = async (url: string, onEvent?: (e: SseEvent) => boolean | void): Promise<SseReader> => {
    const r = new SseReader(url);
    readers.push(r);
    await r.open(onEvent);
    return r;
  };

  it('sends one status event per interval, numbered, with heartbeats between', async () => {
    const b = await start();
    const r = await open(`${b.url}/status/stream?interval_ms=250&heartbeat_ms=100`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await waitFor(() => r.events.length >= 3 && r.heartbeats >= 1, {what: 'three status events and a heartbeat'});
    expect(r.events.slice(0, 3).map((e) => [e.event, e.id])).toEqual([
      ['status', '1'],
      ['status', '2'],
      ['status', '3'],
    ]);
    const s = JSON.parse(r.events[0]!.data) as StatusModel;
    expect(s).toMatchObject({schema: 1, node: {role: 'broker', url: b.url}});
    expect(s.connections.status_streams).toBe(1);
  });

  it('shows produced messages in the next events', async () => {
    const b = await start();
    const r = await open(`${b.url}/status/stream?interval_ms=250`);
    await waitFor(() => r.events.length >= 1);
    const before = (JSON.parse(r.events.at(-1)!.data) as StatusModel).totals.messages_in;
    await b.client.produce('clicks', Array.from({length: 25}, (_, i) => ({value: i})));
    await waitFor(() => (JSON.parse(r.events.at(-1)!.data) as StatusModel).totals.messages_in === before + 25, {what: 'an event with the new messages'});
  });

  it('ends the stream when the client goes away', async () => {
    const b = await start();
    const r = await open(`${b.url}/status/stream?interval_ms=250`);
    await waitFor(() => r.events.length >= 1);
    r.close();
    await waitFor(async () => (await b.client.status<StatusModel>()).connections.status_streams === 0, {what: 'the broker to drop the stream'});
  });

  it('ends open streams at once when the broker stops (a graceful stop does not wait for them)', async () => {
    // with a shutdown timeout longer than the test's, a stream that kept the server open would fail the test
    const b = await start({shutdownTimeoutMs: 600_000});
    const r = await open(`${b.url}/status/stream?interval_ms=250`);
    await waitFor(() => r.events.length >= 1);
    await b.stop({purge: true});
    started.splice(started.indexOf(b), 1);
    await r.finished();
  });

  it('rejects unknown or malformed parameters', async () => {
    const b = await start();
    expect((await fetch(`${b.url}/status/stream?interval=5`)).status).toBe(400);
    expect((await fetch(`${b.url}/status/stream?interval_ms=soon`)).status).toBe(400);
    expect((await fetch(`${b.url}/metrics?x=1`)).status).toBe(400);
    const post = await fetch(`${b.url}/metrics`, {method: 'POST'});
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
    expect(await post.json()).toMatchObject({error: {code: 'METHOD_NOT_ALLOWED'}});
  });
});

describe('/ui - the web dashboard page', () => {
  it('is one self-contained page whose inline script and style are the only ones its CSP allows', async () => {
    const b = await startTestBroker();
    try {
      const res = await fetch(`${b.url}/ui`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await res.text();
      const csp = res.headers.get('content-security-policy')!;
      const script = /<script>([\s\S]*)<\/script>/.exec(html)![1]!;
      const style = /<style>([\s\S]*)<\/style>/.exec(html)![1]!;
      const hash = (s: string): string => `'sha256-${crypto.createHash('sha256').update(s).digest('base64')}'`;
      expect(csp).toContain(`script-src ${hash(script)}`);
      expect(csp).toContain(`style-src ${hash(style)}`);
      expect(csp).toContain("connect-src 'self'");
      // nothing to fetch but the page itself (the icon is an empty data: URL, so browsers do not ask for one)
      expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="(?!data:)/);
      expect(script).toContain("new EventSource('status/stream");
    } finally {
      await b.stop({purge: true});
    }
  });
});
