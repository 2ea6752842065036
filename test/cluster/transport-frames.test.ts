import {describe, expect, test} from 'vitest';
import {TransportError} from '../../src/cluster/transport/binary.js';
import {FrameReader, FrameType, encodeFrame, type Frame} from '../../src/cluster/transport/frames.js';
import {
  PROTOCOL_RANGE,
  PROTOCOL_V1,
  PROTOCOL_VERSION_MAX,
  agreeOn,
  checkHello,
  checkWelcome,
  decodeReject,
  encodeGreeting,
  encodeReject,
  newNonce,
  parseProtocolRange,
  type Greeting,
} from '../../src/cluster/transport/handshake.js';
import {SeededRandom} from '../../src/util/random.js';

const simple = (frames: Frame[]): Array<[number, string]> => frames.map((f) => [f.type, f.payload.toString('hex')]);

function transportError(fn: () => unknown): TransportError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TransportError);
    return err as TransportError;
  }
  throw new Error('did not throw');
}

describe('frames', () => {
  const stream = Buffer.concat([
    encodeFrame(FrameType.PING),
    encodeFrame(FrameType.MESSAGES, Buffer.from('hello world')),
    encodeFrame(FrameType.PONG),
    encodeFrame(FrameType.REJECT, Buffer.alloc(300, 7)),
  ]);
  const expected = simple(new FrameReader().push(stream));

  test('frames - several frames in one chunk come out in order', () => {
    expect(expected.map(([t]) => t)).toEqual([FrameType.PING, FrameType.MESSAGES, FrameType.PONG, FrameType.REJECT]);
    expect(expected[1]![1]).toBe(Buffer.from('hello world').toString('hex'));
  });

  test('frames - one byte at a time gives the same frames', () => {
    const r = new FrameReader();
    const got: Frame[] = [];
    for (let i = 0; i < stream.length; i++) got.push(...r.push(stream.subarray(i, i + 1)));
    expect(simple(got)).toEqual(expected);
    expect(r.pendingBytes).toBe(0);
  });

  test('frames - chunks cut at random places give the same frames', () => {
    const rnd = new SeededRandom(3);
    for (let round = 0; round < 200; round++) {
      const r = new FrameReader();
      const got: Frame[] = [];
      for (let o = 0; o < stream.length; ) {
        const n = rnd.int(0, 40);
        got.push(...r.push(stream.subarray(o, o + n)));
        o += n;
      }
      expect(simple(got)).toEqual(expected);
    }
  });

  test('frames - a header over the limit is an error before its body arrives', () => {
    const r = new FrameReader({maxFrameBytes: 100});
    expect(r.push(encodeFrame(FrameType.MESSAGES, Buffer.alloc(99)))).toHaveLength(1);
    const header = encodeFrame(FrameType.MESSAGES, Buffer.alloc(100)).subarray(0, 4);
    const err = transportError(() => r.push(header));
    expect(err.code).toBe('FRAME_TOO_LARGE');
    expect(err.message).toMatch(/101 bytes is over the 100 byte limit/);
  });

  test('frames - the limit can be raised (after authentication)', () => {
    const r = new FrameReader({maxFrameBytes: 10});
    r.maxFrameBytes = 1000;
    expect(r.push(encodeFrame(FrameType.MESSAGES, Buffer.alloc(500)))[0]!.payload).toHaveLength(500);
  });

  test('frames - an empty frame or an unknown frame type is a protocol error', () => {
    expect(transportError(() => new FrameReader().push(Buffer.from([0, 0, 0, 0]))).message).toMatch(/empty frame/);
    const err = transportError(() => new FrameReader().push(Buffer.from([0, 0, 0, 1, 77])));
    expect([err.code, err.message]).toEqual(['PROTOCOL_ERROR', 'unknown frame type 77']);
  });
});

describe('handshake', () => {
  const secret = Buffer.from('s3cret-s3cret-s3cret');
  const base = {clusterId: 'c1', secret};
  const hello = (over: Partial<Greeting> = {}, key: Uint8Array = secret): Buffer =>
    encodeGreeting('hello', {protocol: 0, range: PROTOCOL_RANGE, clusterId: 'c1', from: 1, to: 2, url: 'http://a', peerUrl: 'tcp://a', nonce: newNonce(), ...over}, key);
  const atTwo = {...base, self: 2, isPeer: (id: number) => id === 1 || id === 3};
  const codeOf = (r: ReturnType<typeof checkHello>): string => (r.ok ? 'OK' : r.code);

  test('handshake - a good HELLO passes and yields the sender fields', () => {
    const r = checkHello(hello(), atTwo);
    expect(r.ok && [r.greeting.from, r.greeting.url, r.greeting.peerUrl]).toEqual([1, 'http://a', 'tcp://a']);
  });

  test('handshake - each misconfiguration has its own reason', () => {
    expect(codeOf(checkHello(hello({range: {min: PROTOCOL_VERSION_MAX + 1, max: PROTOCOL_VERSION_MAX + 2}}), atTwo))).toBe('PROTOCOL_MISMATCH');
    expect(codeOf(checkHello(hello({clusterId: 'c2'}), atTwo))).toBe('CLUSTER_MISMATCH');
    expect(codeOf(checkHello(hello({to: 5}), atTwo))).toBe('WRONG_NODE');
    expect(codeOf(checkHello(hello({from: 4}), atTwo))).toBe('UNKNOWN_PEER');
    expect(codeOf(checkHello(hello({from: 2}), atTwo))).toBe('UNKNOWN_PEER');
    expect(codeOf(checkHello(hello({}, Buffer.from('another secret')), atTwo))).toBe('BAD_AUTH');
    expect(codeOf(checkHello(Buffer.from([1, 2, 3]), atTwo))).toBe('PROTOCOL_ERROR');
    expect(codeOf(checkHello(Buffer.concat([hello(), Buffer.from([0])]), atTwo))).toBe('PROTOCOL_ERROR');
  });

  test('handshake - a tampered field fails the MAC', () => {
    const h = hello({url: 'http://a'});
    const i = h.indexOf('http://a');
    h[i + 7] = 'b'.charCodeAt(0);
    expect(codeOf(checkHello(h, atTwo))).toBe('BAD_AUTH');
  });

  test('handshake - a HELLO is never valid as a WELCOME', () => {
    const dialerNonce = newNonce();
    // shaped like a good WELCOME in every field (the version chosen included): only the MAC's label differs
    const asWelcome = hello({from: 2, to: 1, protocol: PROTOCOL_VERSION_MAX});
    expect(codeOf(checkWelcome(asWelcome, {...base, self: 1, peer: 2, dialerNonce}))).toBe('BAD_AUTH');
  });

  test('handshake - a WELCOME is bound to the dialer nonce, so a replayed one fails', () => {
    const nonce1 = newNonce();
    const welcome = encodeGreeting('welcome', {protocol: PROTOCOL_VERSION_MAX, range: PROTOCOL_RANGE, clusterId: 'c1', from: 2, to: 1, url: 'u', peerUrl: 'p', nonce: newNonce()}, secret, nonce1);
    expect(codeOf(checkWelcome(welcome, {...base, self: 1, peer: 2, dialerNonce: nonce1}))).toBe('OK');
    expect(codeOf(checkWelcome(welcome, {...base, self: 1, peer: 2, dialerNonce: newNonce()}))).toBe('BAD_AUTH');
    expect(codeOf(checkWelcome(welcome, {...base, self: 1, peer: 3, dialerNonce: nonce1}))).toBe('WRONG_NODE');
  });

  test('handshake - REJECT roundtrips and its message is capped', () => {
    expect(decodeReject(encodeReject('BAD_AUTH', 'wrong secret'))).toEqual({code: 'BAD_AUTH', message: 'wrong secret'});
    expect(decodeReject(encodeReject('CLUSTER_MISMATCH', 'x'.repeat(5000))).message).toHaveLength(1024);
    expect(() => decodeReject(Buffer.from([200]))).toThrow(TransportError);
  });
});

describe('handshake - protocol negotiation', () => {
  const secret = Buffer.from('s3cret-s3cret-s3cret');
  const greet = (kind: 'hello' | 'welcome', over: Partial<Greeting>, dialerNonce?: Uint8Array): Buffer =>
    encodeGreeting(kind, {protocol: 0, clusterId: 'c1', from: 1, to: 2, url: 'u', peerUrl: 'p', nonce: newNonce(), ...over}, secret, dialerNonce);
  const acceptor = (min: number, max: number) => ({clusterId: 'c1', secret, self: 2, isPeer: () => true, speaks: {min, max}});
  const outcome = (r: ReturnType<typeof checkHello>): string | number => (r.ok ? r.protocol : `${r.code}: ${r.message}`);

  test('negotiation - the highest version both ranges hold, or none', () => {
    expect(agreeOn({min: 1, max: 2}, {min: 1, max: 1})).toBe(1);
    expect(agreeOn({min: 1, max: 2}, {min: 2, max: 3})).toBe(2);
    expect(agreeOn({min: 2, max: 5}, {min: 1, max: 3})).toBe(3);
    expect(agreeOn({min: 1, max: 2}, {min: 3, max: 4})).toBeUndefined();
    expect(parseProtocolRange('1-2')).toEqual({min: 1, max: 2});
    expect(parseProtocolRange('3')).toEqual({min: 3, max: 3});
    for (const bad of ['0', '2-1', 'x', '1-', '']) expect(() => parseProtocolRange(bad), bad).toThrow(/invalid peer protocol range/);
  });

  test('negotiation - an acceptor picks the highest common version of a negotiating HELLO, and names both ranges when there is none', () => {
    expect(outcome(checkHello(greet('hello', {range: {min: 1, max: 3}}), acceptor(1, 2)))).toBe(2);
    expect(outcome(checkHello(greet('hello', {range: {min: 2, max: 2}}), acceptor(1, 3)))).toBe(2);
    expect(outcome(checkHello(greet('hello', {range: {min: 3, max: 4}}), acceptor(1, 2)))).toBe(
      'PROTOCOL_MISMATCH: no common peer protocol version: node 1 speaks protocol 3-4, node 2 speaks 1-2; upgrade the older broker',
    );
  });

  test('negotiation - a version 1 HELLO (the first release) is accepted as version 1 while the acceptor still speaks it', () => {
    expect(outcome(checkHello(greet('hello', {protocol: PROTOCOL_V1}), acceptor(1, 2)))).toBe(1);
    expect(outcome(checkHello(greet('hello', {protocol: PROTOCOL_V1}), acceptor(2, 3)))).toMatch(/^PROTOCOL_MISMATCH: .*node 1 speaks only protocol 1 .* node 2 speaks 2-3/);
  });

  test('negotiation - a broker that speaks only version 1 refuses a negotiating HELLO in the first release\'s words', () => {
    expect(outcome(checkHello(greet('hello', {range: PROTOCOL_RANGE}), acceptor(1, 1)))).toBe('PROTOCOL_MISMATCH: protocol 0 is not 1');
    expect(outcome(checkHello(greet('hello', {protocol: PROTOCOL_V1}), acceptor(1, 1)))).toBe(1);
  });

  test('negotiation - the dialer accepts only the highest common version, laid out as its HELLO was', () => {
    const nonce = newNonce();
    const dialer = (negotiated: boolean) => ({clusterId: 'c1', secret, self: 1, peer: 2, dialerNonce: nonce, speaks: {min: 1, max: 2}, negotiated});
    const welcome = (over: Partial<Greeting>): Buffer => greet('welcome', {from: 2, to: 1, ...over}, nonce);
    expect(outcome(checkWelcome(welcome({protocol: 2, range: {min: 1, max: 3}}), dialer(true)))).toBe(2);
    // a downgrade (version 1 chosen although both speak 2) is refused: the choice is covered by the MAC, so only a broken peer sends it
    expect(outcome(checkWelcome(welcome({protocol: 1, range: {min: 1, max: 3}}), dialer(true)))).toMatch(/^PROTOCOL_MISMATCH: node 2 chose protocol 1 from 1-3/);
    expect(outcome(checkWelcome(welcome({protocol: PROTOCOL_V1}), dialer(true)))).toMatch(/^PROTOCOL_ERROR: a negotiating HELLO was answered with a version 1 WELCOME/);
    expect(outcome(checkWelcome(welcome({protocol: PROTOCOL_V1}), dialer(false)))).toBe(1);
    expect(outcome(checkWelcome(welcome({protocol: 2, range: {min: 1, max: 2}}), dialer(false)))).toMatch(/^PROTOCOL_ERROR/);
  });
});
