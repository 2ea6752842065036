import {createHmac, randomBytes, timingSafeEqual} from 'node:crypto';
import type {NodeId} from '../raft/index.js';
import {ByteReader, ByteWriter, TransportError} from './binary.js';

/** Bumped whenever frames or messages change incompatibly; brokers of different versions refuse each other. */
export const PROTOCOL_VERSION = 1;

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
  readonly protocol: number;
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

/** The protocol version leads so that it can be read even when the rest is laid out by a version we do not know. */
function decodeGreeting(payload: Uint8Array): Decoded | {protocol: number} {
  const r = new ByteReader(payload);
  const protocol = r.uvarint('protocol');
  if (protocol !== PROTOCOL_VERSION) return {protocol};
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
  return {greeting: {protocol, clusterId, from, to, url, peerUrl, nonce}, signed: payload.subarray(0, signedBytes), mac: m};
}

/** On failure `from` is the sender's claimed id when the greeting parsed that far (for logs only: it is unverified). */
export type CheckResult = {ok: true; greeting: Greeting} | {ok: false; code: RejectCode; message: string; from?: NodeId};

function refuse(code: RejectCode, message: string, from?: NodeId): CheckResult {
  return from === undefined ? {ok: false, code, message} : {ok: false, code, message, from};
}

export interface CheckOptions {
  readonly clusterId: string;
  readonly self: NodeId;
  readonly secret: Uint8Array;
}

/**
 * The acceptor's checks, cheapest and most telling first so that a misconfigured peer learns what is wrong:
 * version, cluster, addressee, sender, then the MAC (a wrong secret is the last thing to suspect).
 */
export function checkHello(payload: Uint8Array, o: CheckOptions & {isPeer(id: NodeId): boolean}): CheckResult {
  return check('hello', payload, o, (g) => {
    if (g.from === o.self || !o.isPeer(g.from)) return refuse('UNKNOWN_PEER', `node ${g.from} is not a configured peer of node ${o.self}`, g.from);
    return undefined;
  });
}

/** The dialer's checks on the answer: it must come from the node it meant to reach, bound to its own nonce. */
export function checkWelcome(payload: Uint8Array, o: CheckOptions & {peer: NodeId; dialerNonce: Uint8Array}): CheckResult {
  return check(
    'welcome',
    payload,
    o,
    (g) => (g.from === o.peer ? undefined : refuse('WRONG_NODE', `dialed node ${o.peer} but node ${g.from} answered`, g.from)),
    o.dialerNonce,
  );
}

function check(
  kind: GreetingKind,
  payload: Uint8Array,
  o: CheckOptions,
  checkSender: (g: Greeting) => CheckResult | undefined,
  dialerNonce?: Uint8Array,
): CheckResult {
  let d: ReturnType<typeof decodeGreeting>;
  try {
    d = decodeGreeting(payload);
  } catch (err) {
    if (err instanceof TransportError) return refuse('PROTOCOL_ERROR', `bad ${kind}: ${err.message}`);
    throw err;
  }
  if (!('greeting' in d)) return refuse('PROTOCOL_MISMATCH', `protocol ${d.protocol} is not ${PROTOCOL_VERSION}`);
  const g = d.greeting;
  if (g.clusterId !== o.clusterId) return refuse('CLUSTER_MISMATCH', `cluster '${g.clusterId}' is not '${o.clusterId}'`, g.from);
  if (g.to !== o.self) return refuse('WRONG_NODE', `addressed to node ${g.to}, but this is node ${o.self}`, g.from);
  const bad = checkSender(g);
  if (bad) return bad;
  const expected = mac(kind, o.secret, d.signed, dialerNonce);
  if (!timingSafeEqual(expected, d.mac)) return refuse('BAD_AUTH', `the ${kind} from node ${g.from} has a wrong MAC (a different secret?)`, g.from);
  return {ok: true, greeting: g};
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
