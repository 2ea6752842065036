import {describe, expect, test} from 'vitest';
import {TransportError} from '../../src/cluster/transport/binary.js';
import {FrameReader, FrameType, encodeFrame, type Frame} from '../../src/cluster/transport/frames.js';
import {
  PROTOCOL_VERSION,
  checkHello,
  checkWelcome,
  decodeReject,
  encodeGreeting,
  encodeReject,
  newNonce,
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
    encodeGreeting('hello', {protocol: PROTOCOL_VERSION, clusterId: 'c1', from: 1, to: 2, url: 'http://a', peerUrl: 'tcp://a', nonce: newNonce(), ...over}, key);
  const atTwo = {...base, self: 2, isPeer: (id: number) => id === 1 || id === 3};
  const codeOf = (r: ReturnType<typeof checkHello>): string => (r.ok ? 'OK' : r.code);

  test('handshake - a good HELLO passes and yields the sender fields', () => {
    const r = checkHello(hello(), atTwo);
    expect(r.ok && [r.greeting.from, r.greeting.url, r.greeting.peerUrl]).toEqual([1, 'http://a', 'tcp://a']);
  });

  test('handshake - each misconfiguration has its own reason', () => {
    expect(codeOf(checkHello(hello({protocol: 2}), atTwo))).toBe('PROTOCOL_MISMATCH');
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
    const asWelcome = hello({from: 2, to: 1});
    expect(codeOf(checkWelcome(asWelcome, {...base, self: 1, peer: 2, dialerNonce}))).toBe('BAD_AUTH');
  });

  test('handshake - a WELCOME is bound to the dialer nonce, so a replayed one fails', () => {
    const nonce1 = newNonce();
    const welcome = encodeGreeting('welcome', {protocol: PROTOCOL_VERSION, clusterId: 'c1', from: 2, to: 1, url: 'u', peerUrl: 'p', nonce: newNonce()}, secret, nonce1);
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
