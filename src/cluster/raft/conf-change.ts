import {assert} from '../../util/assert.js';
import type {ConfState, NodeId} from './types.js';

/**
 * Single-server membership changes (thesis §4.1): one node at a time, so the old and new majorities always
 * overlap. Voters join as learners first and are promoted only once caught up (thesis §4.2.1), so adding a
 * node never leaves the cluster waiting for a replica that is far behind.
 */
export type ConfChangeType = 'addLearner' | 'promote' | 'remove';

export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
}

const TYPE_CODES: readonly ConfChangeType[] = ['addLearner', 'promote', 'remove'];

/** 1 byte of type then the node id as a float64: the id is any safe positive integer. */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  const out = new Uint8Array(9);
  const view = new DataView(out.buffer);
  view.setUint8(0, TYPE_CODES.indexOf(cc.type));
  view.setFloat64(1, cc.nodeId);
  return out;
}

/** Returns undefined for bytes that are not a ConfChange (the entry is then ignored by every node alike). */
export function decodeConfChange(data: Uint8Array): ConfChange | undefined {
  if (data.length !== 9) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const type = TYPE_CODES[view.getUint8(0)];
  const nodeId = view.getFloat64(1);
  if (type === undefined || !Number.isSafeInteger(nodeId) || nodeId <= 0) return undefined;
  return {type, nodeId};
}

/** Why `cc` cannot apply to `conf`, or undefined when it can. */
export function confChangeError(conf: ConfState, cc: ConfChange): string | undefined {
  const isVoter = conf.voters.includes(cc.nodeId);
  const isLearner = conf.learners.includes(cc.nodeId);
  switch (cc.type) {
    case 'addLearner':
      return isVoter || isLearner ? `node ${cc.nodeId} is already a member` : undefined;
    case 'promote':
      return isLearner ? undefined : `node ${cc.nodeId} is not a learner`;
    case 'remove':
      if (!isVoter && !isLearner) return `node ${cc.nodeId} is not a member`;
      return isVoter && conf.voters.length === 1 ? 'cannot remove the last voter' : undefined;
  }
}

export function applyConfChange(conf: ConfState, cc: ConfChange): ConfState {
  assert(confChangeError(conf, cc) === undefined, `conf change ${cc.type} ${cc.nodeId} is invalid`);
  const voters = conf.voters.filter((id) => id !== cc.nodeId);
  const learners = conf.learners.filter((id) => id !== cc.nodeId);
  if (cc.type === 'addLearner') learners.push(cc.nodeId);
  if (cc.type === 'promote') voters.push(cc.nodeId);
  return {voters: voters.sort((a, b) => a - b), learners: learners.sort((a, b) => a - b)};
}

export function confStateEqual(a: ConfState, b: ConfState): boolean {
  const same = (x: readonly NodeId[], y: readonly NodeId[]) => x.length === y.length && x.every((v, i) => v === y[i]);
  return same(a.voters, b.voters) && same(a.learners, b.learners);
}
