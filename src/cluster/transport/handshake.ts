import {createHmac, randomBytes, timingSafeEqual} from 'node:crypto';
import {MqError} from '../../errors.js';
import type {NodeId} from '../raft/index.js';
import {ByteReader, ByteWriter, TransportError} from './binary.js';

/**
 * Peer protocol versions. 1: the first release, whose greetings carry one fixed version number (a peer refuses any
 * other). 2: greetings negotiate: a HELLO carries the range of versions the dialer speaks, the acceptor picks the
 * highest both speak and says which in its WELCOME; frames and messages are as in 1. A broker speaks every version in
 * [PROTOCOL_VERSION_MIN, PROTOCOL_VERSION_MAX], so during a rolling upgrade old and new brokers agree on the highest
 * version both have, and refuse each other only when they share none (see docs/operations.md, "Upgrades").
 */
export const PROTOCOL_VERSION_MIN = 1;
export const PROTOCOL_VERSION_MAX = 2;
/** Version 1's greeting layout leads with this number; version 2's with NEGOTIATE, which no version 1 broker accepts. */
export const PROTOCOL_V1 = 1;
const NEGOTIATE = 0;
const VERSION_MAX = 9999;

export interface ProtocolRange {
  readonly min: number;
  readonly max: number;
}

export const PROTOCOL_RANGE: ProtocolRange = Object.freeze({min: PROTOCOL_VERSION_MIN, max: PROTOCOL_VERSION_MAX});

/** `2` or `1-2`: the versions a broker speaks (the hidden peerProtocol setting simulates other releases with it). */
export function parseProtocolRange(text: string): ProtocolRange {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  const min = Number(m?.[1]);
  const max = Number(m?.[2] ?? m?.[1]);
  if (!m || min < 1 || max < min || max > VERSION_MAX) {
    throw new MqError('INVALID_CONFIG', `invalid peer protocol range ${JSON.stringify(text)} (expected N or MIN-MAX, 1 <= MIN <= MAX)`);
  }
  return {min, max};
}

let processRange: ProtocolRange = PROTOCOL_RANGE;

/**
 * The versions this process's transports speak when not told (TcpTransportOptions.protocol). Only `mq broker start`
 * with the hidden peerProtocol setting changes it, to pose as another release in mixed-version tests.
 */
export function processProtocolRange(): ProtocolRange {
  return processRange;
}

export function setProcessProtocolRange(r: ProtocolRange): void {
  processRange = Object.freeze({...r});
}

export const formatRange = (r: ProtocolRange): string => (r.min === r.max ? String(r.min) : `${r.min}-${r.max}`);

/** The highest version both ranges hold, or undefined when they share none. */
export function agreeOn(a: ProtocolRange, b: ProtocolRange): number | undefined {
  const v = Math.min(a.max, b.max);
  return v >= Math.max(a.min, b.min) ? v : undefined;
}

/**
 * Why a handshake was refused. `WRONG_DIRECTION`: only the lower id of a pair dials, so a HELLO from a higher id
 * means a peer that would open a second connection for the pair. `PROTOCOL_ERROR` and `FRAME_TOO_LARGE` can also
 * end an established connection (see TransportError).
 */
export type RejectCode =
  | 'PROTOCOL_MISMATCH'
  | 'CLUSTER_MISMATCH'
  | 'UNKNOWN_PEER'
  | 'BAD_AUTH'
  | 'WRONG_NODE'
  | 'WRONG_DIRECTION'
  | 'PROTOCOL_ERROR'
  | 'FRAME_TOO_LARGE';

export const NONCE_BYTES = 16;
const MAC_BYTES = 32;
const CLUSTER_ID_BYTES_MAX = 256;
const URL_BYTES_MAX = 2048;
const REJECT_CODE_BYTES_MAX = 64;
const REJECT_MESSAGE_BYTES_MAX = 1024;

/** What each side says about itself: HELLO from the dialer, WELCOME from the acceptor. */
export interface Greeting {
  /**
   * A version 1 greeting (no `range`): the version, which must be PROTOCOL_V1. A negotiating greeting: 0 in a HELLO,
   * and in a WELCOME the version the acceptor chose.
   */
  readonly protocol: number;
  /** Negotiating greetings only: the versions the sender speaks. */
  readonly range?: ProtocolRange;
  readonly clusterId: string;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly url: string;
  readonly peerUrl: string;
  readonly nonce: Uint8Array;
}

export type GreetingKind = 'hello' | 'welcome';

/**
 * Distinct labels keep a HELLO's MAC from ever being valid as a WELCOME's. A WELCOME's MAC also covers the dialer's
 * fresh nonce, so a recorded WELCOME does not authenticate a later connection. (A recorded HELLO can be replayed to
 * an acceptor, which has no challenge of its own to bind; without TLS an on-path attacker can do worse anyway, so
 * the handshake guards against misconfiguration and strangers, not against someone who can watch the network.)
 */
const LABELS: Record<GreetingKind, Buffer> = {
  hello: Buffer.from('mq-transport-hello\0'),
  welcome: Buffer.from('mq-transport-welcome\0'),
};

export function newNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

function mac(kind: GreetingKind, secret: Uint8Array, signed: Uint8Array, dialerNonce?: Uint8Array): Buffer {
  const h = createHmac('sha256', secret).update(LABELS[kind]).update(signed);
  if (kind === 'welcome' && dialerNonce) h.update(dialerNonce);
  return h.digest();
}

/**
 * The MAC covers the exact bytes of every field (protocol, cluster id, ids, URLs, nonce), which are their
 * canonical form: each string and byte string is length-prefixed, so no two field sets share an encoding.
 */
export function encodeGreeting(kind: GreetingKind, g: Greeting, secret: Uint8Array, dialerNonce?: Uint8Array): Buffer {
  const w = new ByteWriter(128);
  if (g.range) {
    w.uvarint(NEGOTIATE);
    w.uvarint(g.range.min);
    w.uvarint(g.range.max);
  }
  w.uvarint(g.protocol);
  w.string(g.clusterId);
  w.uvarint(g.from);
  w.uvarint(g.to);
  w.string(g.url);
  w.string(g.peerUrl);
  w.bytes(g.nonce);
  const signed = w.finish();
  w.raw(mac(kind, secret, signed, dialerNonce));
  return w.finish();
}

interface Decoded {
  greeting: Greeting;
  signed: Uint8Array;
  mac: Uint8Array;
}

/**
 * The version (or NEGOTIATE) leads so that it can be read even when the rest is laid out by a version we do not
 * know. A broker that speaks only version 1 reads NEGOTIATE as an unknown version, as the first release does.
 */
function decodeGreeting(payload: Uint8Array, speaks: ProtocolRange): Decoded | {protocol: number} {
  const r = new ByteReader(payload);
  const first = r.uvarint('protocol');
  let range: ProtocolRange | undefined;
  if (first === NEGOTIATE && speaks.max > PROTOCOL_V1) {
    const min = r.uvarint('protocol min');
    const max = r.uvarint('protocol max');
    if (min < 1 || max < min || max > VERSION_MAX) throw new TransportError('PROTOCOL_ERROR', `protocol range ${min}-${max}`);
    range = {min, max};
  } else if (first !== PROTOCOL_V1) {
    return {protocol: first};
  }
  const protocol = range ? r.uvarint('protocol') : first;
  const clusterId = r.string('cluster id', CLUSTER_ID_BYTES_MAX);
  const from = r.uvarint('from');
  const to = r.uvarint('to');
  const url = r.string('url', URL_BYTES_MAX);
  const peerUrl = r.string('peer url', URL_BYTES_MAX);
  const nonce = r.bytes('nonce', NONCE_BYTES);
  if (nonce.length !== NONCE_BYTES) throw new TransportError('PROTOCOL_ERROR', `nonce of ${nonce.length} bytes`);
  const signedBytes = payload.length - r.remaining;
  const m = r.raw(MAC_BYTES, 'mac');
  r.end('greeting');
  const greeting: Greeting = range ? {protocol, range, clusterId, from, to, url, peerUrl, nonce} : {protocol, clusterId, from, to, url, peerUrl, nonce};
  return {greeting, signed: payload.subarray(0, signedBytes), mac: m};
}

/**
 * On success `protocol` is the version the connection speaks. On failure `from` is the sender's claimed id when the
 * greeting parsed that far (for logs only: it is unverified).
 */
export type CheckResult = {ok: true; greeting: Greeting; protocol: number} | {ok: false; code: RejectCode; message: string; from?: NodeId};

function refuse(code: RejectCode, message: string, from?: NodeId): CheckResult {
  return from === undefined ? {ok: false, code, message} : {ok: false, code, message, from};
}

export interface CheckOptions {
  readonly clusterId: string;
  readonly self: NodeId;
  readonly secret: Uint8Array;
  /** The versions this broker speaks (default PROTOCOL_RANGE). */
  readonly speaks?: ProtocolRange;
}

/**
 * The acceptor's checks, cheapest and most telling first so that a misconfigured peer learns what is wrong:
 * version, cluster, addressee, sender, then the MAC (a wrong secret is the last thing to suspect). A negotiating
 * HELLO gets the highest version both sides speak; a version 1 HELLO gets version 1 if this broker still speaks it.
 */
export function checkHello(payload: Uint8Array, o: CheckOptions & {isPeer(id: NodeId): boolean}): CheckResult {
  const speaks = o.speaks ?? PROTOCOL_RANGE;
  return check('hello', payload, o, {
    agree: (g) => {
      const theirs = g.range ?? {min: PROTOCOL_V1, max: PROTOCOL_V1};
      const agreed = agreeOn(theirs, speaks);
      if (agreed !== undefined) return agreed;
      const why = g.range ? `node ${g.from} speaks protocol ${formatRange(theirs)}` : `node ${g.from} speaks only protocol 1 (an mq release before negotiation)`;
      return refuse('PROTOCOL_MISMATCH', `no common peer protocol version: ${why}, node ${o.self} speaks ${formatRange(speaks)}; upgrade the older broker`, g.from);
    },
    sender: (g) => (g.from === o.self || !o.isPeer(g.from) ? refuse('UNKNOWN_PEER', `node ${g.from} is not a configured peer of node ${o.self}`, g.from) : undefined),
  });
}

/**
 * The dialer's checks on the answer: laid out as the HELLO was (negotiating or version 1) and naming the highest
 * version both sides speak, from the node it meant to reach, bound to its own nonce.
 */
export function checkWelcome(payload: Uint8Array, o: CheckOptions & {peer: NodeId; dialerNonce: Uint8Array; negotiated?: boolean}): CheckResult {
  const speaks = o.speaks ?? PROTOCOL_RANGE;
  const negotiated = o.negotiated ?? speaks.max > PROTOCOL_V1;
  return check(
    'welcome',
    payload,
    o,
    {
      agree: (g) => {
        if (!negotiated) return g.range ? refuse('PROTOCOL_ERROR', 'a version 1 HELLO was answered with a negotiating WELCOME', g.from) : PROTOCOL_V1;
        if (!g.range) return refuse('PROTOCOL_ERROR', 'a negotiating HELLO was answered with a version 1 WELCOME', g.from);
        const agreed = agreeOn(g.range, speaks);
        if (agreed !== undefined && g.protocol === agreed) return agreed;
        return refuse('PROTOCOL_MISMATCH', `node ${g.from} chose protocol ${g.protocol} from ${formatRange(g.range)}; node ${o.self} speaks ${formatRange(speaks)}`, g.from);
      },
      sender: (g) => (g.from === o.peer ? undefined : refuse('WRONG_NODE', `dialed node ${o.peer} but node ${g.from} answered`, g.from)),
    },
    o.dialerNonce,
  );
}

interface Steps {
  /** The version the connection will speak, or why there is none. */
  agree(g: Greeting): CheckResult | number;
  sender(g: Greeting): CheckResult | undefined;
}

function check(kind: GreetingKind, payload: Uint8Array, o: CheckOptions, steps: Steps, dialerNonce?: Uint8Array): CheckResult {
  const speaks = o.speaks ?? PROTOCOL_RANGE;
  let d: ReturnType<typeof decodeGreeting>;
  try {
    d = decodeGreeting(payload, speaks);
  } catch (err) {
    if (err instanceof TransportError) return refuse('PROTOCOL_ERROR', `bad ${kind}: ${err.message}`);
    throw err;
  }
  if (!('greeting' in d)) {
    // the first release's words, so that old and new brokers that speak only version 1 say the same
    if (speaks.max === PROTOCOL_V1) return refuse('PROTOCOL_MISMATCH', `protocol ${d.protocol} is not ${PROTOCOL_V1}`);
    return refuse('PROTOCOL_MISMATCH', `a greeting laid out for protocol ${d.protocol}, which node ${o.self} (protocol ${formatRange(speaks)}) cannot read`);
  }
  const g = d.greeting;
  const agreed = steps.agree(g);
  if (typeof agreed !== 'number') return agreed;
  if (g.clusterId !== o.clusterId) return refuse('CLUSTER_MISMATCH', `cluster '${g.clusterId}' is not '${o.clusterId}'`, g.from);
  if (g.to !== o.self) return refuse('WRONG_NODE', `addressed to node ${g.to}, but this is node ${o.self}`, g.from);
  const bad = steps.sender(g);
  if (bad) return bad;
  const expected = mac(kind, o.secret, d.signed, dialerNonce);
  if (!timingSafeEqual(expected, d.mac)) return refuse('BAD_AUTH', `the ${kind} from node ${g.from} has a wrong MAC (a different secret?)`, g.from);
  return {ok: true, greeting: g, protocol: agreed};
}

export interface Reject {
  readonly code: string;
  readonly message: string;
}

export function encodeReject(code: RejectCode, message: string): Buffer {
  const w = new ByteWriter(64 + message.length);
  w.string(code);
  // Cut on a byte budget the decoder accepts (a cut may split a multi-byte character; the decoder tolerates that).
  w.bytes(Buffer.from(message, 'utf8').subarray(0, REJECT_MESSAGE_BYTES_MAX));
  return w.finish();
}

/** The code stays a plain string: a peer of a newer version may refuse us for a reason this version has no name for. */
export function decodeReject(payload: Uint8Array): Reject {
  const r = new ByteReader(payload);
  const code = r.string('reject code', REJECT_CODE_BYTES_MAX);
  const message = r.string('reject message', REJECT_MESSAGE_BYTES_MAX);
  r.end('reject');
  return {code, message};
}
