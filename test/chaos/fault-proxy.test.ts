import net from 'node:net';
import {afterEach, describe, expect, it} from 'vitest';
import {waitFor} from '../helpers/broker.js';
import {FaultProxy, helloFrom} from './lib/fault-proxy.js';

/** The start of a HELLO frame: protocol 1, or protocol 2's negotiation prefix, then cluster id and the dialer. */
function hello(from: number, negotiate = false): Buffer {
  const payload = Buffer.from([...(negotiate ? [0, 1, 2, 2] : [1]), 3, ...Buffer.from('abc'), from, 9, 9, 9]);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length + 1, 0);
  head[4] = 1;
  return Buffer.concat([head, payload]);
}

/** An upstream that records what reaches it and answers each chunk with `ack`. */
async function upstream(): Promise<{port: number; got: Buffer[]; close: () => Promise<void>}> {
  const got: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('data', (d) => {
      got.push(d);
      s.write('ack');
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {port: (server.address() as net.AddressInfo).port, got, close: () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r())))};
}

async function dial(port: number): Promise<{s: net.Socket; got: () => string; closed: () => boolean}> {
  const s = net.connect(port, '127.0.0.1');
  let text = '';
  let closed = false;
  s.on('data', (d) => (text += d.toString()));
  s.on('close', () => (closed = true));
  s.on('error', () => undefined);
  await new Promise<void>((r) => s.once('connect', r));
  return {s, got: () => text, closed: () => closed};
}

describe('chaos - the fault proxy', () => {
  const open: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of open.splice(0)) await c();
  });

  it('reads the dialer from a HELLO of protocol 1 and of protocol 2', () => {
    expect(helloFrom(hello(3))).toBe(3);
    expect(helloFrom(hello(2, true))).toBe(2);
    expect(helloFrom(hello(3).subarray(0, 8))).toBeNull();
    expect(helloFrom(Buffer.from([0, 0, 0, 2, 4, 0]))).toBeUndefined();
  });

  it('passes bytes both ways, and cuts only the link from the broker a partition names', async () => {
    const up = await upstream();
    const proxy = new FaultProxy(() => up.port, {peer: true});
    await proxy.listen(0);
    open.push(() => proxy.close(), up.close);
    const a = await dial(proxy.port);
    const b = await dial(proxy.port);
    a.s.write(hello(1));
    b.s.write(hello(2));
    await waitFor(() => a.got() === 'ack' && b.got() === 'ack', {what: 'both links answered'});
    expect(proxy.dialers().sort()).toEqual([1, 2]);
    proxy.set(1, [{kind: 'reset'}]);
    await waitFor(() => a.closed(), {what: 'link from 1 reset'});
    b.s.write('more');
    await waitFor(() => b.got() === 'ackack', {what: 'link from 2 still up'});
    // a new connection from 1 is reset as soon as its HELLO shows who it is
    const again = await dial(proxy.port);
    again.s.write(hello(1));
    await waitFor(() => again.closed(), {what: 'new link from 1 reset'});
  });

  it('blackhole swallows, one-way drops one direction, heal restores', async () => {
    const up = await upstream();
    const proxy = new FaultProxy(() => up.port);
    await proxy.listen(0);
    open.push(() => proxy.close(), up.close);
    const c = await dial(proxy.port);
    proxy.set('*', [{kind: 'blackhole'}]);
    c.s.write('lost');
    await waitFor(() => proxy.swallowed === 1, {what: 'the chunk swallowed'});
    proxy.set('*', [{kind: 'oneway', dir: 'out'}]);
    c.s.write('in');
    await waitFor(() => up.got.map(String).join('') === 'in', {what: 'the inbound byte through a one-way link'});
    expect(c.got()).toBe('');
    proxy.heal();
    c.s.write('x');
    await waitFor(() => c.got() === 'ack', {what: 'answers after heal'});
    expect(up.got.map(String).join('')).toBe('inx');
    expect(proxy.swallowed).toBe(2);
  });

  it('delay keeps the order of chunks', async () => {
    const up = await upstream();
    const proxy = new FaultProxy(() => up.port);
    await proxy.listen(0);
    open.push(() => proxy.close(), up.close);
    proxy.set('*', [{kind: 'delay', ms: 30, jitterMs: 40}]);
    const c = await dial(proxy.port);
    for (const x of ['1', '2', '3', '4', '5']) c.s.write(x);
    await waitFor(() => up.got.map(String).join('') === '12345', {what: 'all chunks, in order'});
  });

  it('flaky resets a connection when a chunk passes in the chosen direction', async () => {
    const up = await upstream();
    const proxy = new FaultProxy(() => up.port, {random: {next: () => 0, int: (a) => a}});
    await proxy.listen(0);
    open.push(() => proxy.close(), up.close);
    proxy.set('*', [{kind: 'flaky', p: 0.5, dir: 'out'}]);
    const c = await dial(proxy.port);
    c.s.write('request');
    // the request reached the upstream; its answer cut the connection instead of arriving
    await waitFor(() => c.closed(), {what: 'reset on the answer'});
    expect(up.got.map(String).join('')).toBe('request');
    expect(c.got()).toBe('');
    expect(proxy.resets).toBe(1);
  });
});
