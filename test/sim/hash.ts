import type {Entry} from '../../src/cluster/raft/index.js';

/**
 * A chained 32-bit FNV-1a over (term, type, data) of every entry: the hash at index i stands for the whole log
 * prefix up to i, so comparing two numbers checks log matching and state-machine equality of entire prefixes.
 */
export const INITIAL_HASH = 0x811c9dc5;
const PRIME = 16777619;
const TYPE_CODE = {normal: 1, config: 2, noop: 3} as const;

export function chainHash(prev: number, e: Entry): number {
  let h = Math.imul(prev ^ e.term, PRIME);
  h = Math.imul(h ^ TYPE_CODE[e.type], PRIME);
  const d = e.data;
  for (let i = 0; i < d.length; i++) h = Math.imul(h ^ d[i]!, PRIME);
  return h >>> 0;
}

/** The simulated application's snapshot: the applied index and the chain hash at it. */
export function encodeMachineState(index: number, hash: number): Uint8Array {
  const out = new Uint8Array(12);
  const v = new DataView(out.buffer);
  v.setFloat64(0, index);
  v.setUint32(8, hash);
  return out;
}

export function decodeMachineState(data: Uint8Array, fallbackIndex: number): {index: number; hash: number} {
  // The bootstrap "snapshot" at index 0 carries no data.
  if (data.length === 0) return {index: fallbackIndex, hash: INITIAL_HASH};
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return {index: v.getFloat64(0), hash: v.getUint32(8)};
}

/** A client payload: a unique sequence number, padded to vary entry sizes (which exercises byte limits). */
export function clientPayload(seq: number, padding: number): Uint8Array {
  const out = new Uint8Array(4 + padding);
  out[0] = seq >>> 24;
  out[1] = (seq >>> 16) & 0xff;
  out[2] = (seq >>> 8) & 0xff;
  out[3] = seq & 0xff;
  out.fill(seq & 0xff, 4);
  return out;
}

export function payloadSeq(data: Uint8Array): number {
  return data.length >= 4 ? ((data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!) >>> 0 : -1;
}

/** Scrambles a small integer seed so that neighbouring seeds start far apart in mulberry32's sequence. */
export function scrambleSeed(seed: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
