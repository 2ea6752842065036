import {describe, expect, it} from 'vitest';
import type {GroupStateMachine} from '../../src/cluster/raft-group.js';
import {RaftHost} from '../../src/cluster/raft-host.js';
import {nextConfChange, reconcile} from '../../src/cluster/reconciler.js';
import {StoreRaftStorage} from '../../src/cluster/store-raft-storage.js';
import {localTransport} from '../../src/cluster/transport/types.js';
import {silentLogger} from '../../src/observe/logger.js';
import {openMemoryStore} from '../../src/storage/index.js';
import {systemClock} from '../../src/util/clock.js';
import {SeededRandom} from '../../src/util/random.js';

const nothing: GroupStateMachine = {
  persisted: () => {},
  apply: () => {},
  resetFor: () => ({nextOffset: 0, lastTimestamp: 0}),
  restore: () => {},
  snapshotData: () => new Uint8Array(0),
  roleChanged: () => {},
};

async function until(fn: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !fn(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(fn()).toBe(true);
}

describe('membership reconciler (one change at a time, on the leader)', () => {
  it('adds a missing replica as a learner, never promotes it before it caught up, and removes what the target drops', async () => {
    const store = openMemoryStore();
    StoreRaftStorage.bootstrap(store, 7, {voters: [1], learners: []});
    const host = new RaftHost(store, 1, localTransport(), systemClock, new SeededRandom(1), {tickMs: 10, electionTicks: 10, heartbeatTicks: 2}, silentLogger);
    const g = host.addGroup(7, nothing);
    g.node.campaign();
    host.start();
    try {
      await until(() => g.isLeader && g.node.status().commit >= 2);
      expect(nextConfChange(g, [1])).toBeUndefined();
      expect(nextConfChange(g, [1, 2])).toEqual({type: 'addLearner', nodeId: 2});
      expect(reconcile(g, [1, 2], silentLogger)).toBe(true);
      await until(() => g.confState().learners.includes(2) && g.node.status().commit === g.node.status().lastIndex);
      // broker 2 never answers (no transport): it is not caught up, so it is not promoted
      expect(nextConfChange(g, [1, 2])).toBeUndefined();
      // the target no longer lists it: the learner goes
      expect(nextConfChange(g, [1])).toEqual({type: 'remove', nodeId: 2});
      expect(reconcile(g, [1], silentLogger)).toBe(true);
      await until(() => !g.confState().learners.includes(2));
    } finally {
      await host.stop();
    }
  });
});
