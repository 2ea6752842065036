import {describe, expect, test} from 'vitest';
import {SeededRandom} from '../../src/util/random.js';
import {encodeConfChange, MemoryStorage} from '../../src/cluster/raft/index.js';
import {ScenarioCluster} from './harness/scenario-cluster.js';
import {append, TestNode} from './harness/single-node.js';

/** Membership changes (thesis §4) and leadership transfer (thesis §3.10). */

function cluster(opts = ''): ScenarioCluster {
  const c = new ScenarioCluster();
  c.exec(`add-nodes 3 ${opts}`);
  c.exec('campaign 1');
  c.exec('stabilize');
  return c;
}

function configEntry(index: number, term: number, type: 'addLearner' | 'promote' | 'remove', nodeId: number) {
  return {index, term, type: 'config' as const, data: encodeConfChange({type, nodeId})};
}

describe('thesis §4 membership changes', () => {
  test('thesis §4.1 a configuration entry takes effect when appended, before it commits', () => {
    const n = TestNode.create(2, [1, 2, 3]);
    n.step(append(1, 2, 2, [1, 1], [configEntry(2, 2, 'addLearner', 4)], 1));
    expect(n.raw.status()).toMatchObject({commit: 1, conf: {voters: [1, 2, 3], learners: [4]}});
  });

  test('thesis §4.1 a configuration entry that is truncated away rolls the configuration back', () => {
    const n = TestNode.create(2, [1, 2, 3]);
    n.step(append(1, 2, 2, [1, 1], [configEntry(2, 2, 'remove', 3)], 1)).ready();
    expect(n.raw.status().conf.voters).toEqual([1, 2]);
    // A leader of term 3 never had that entry: its entry at 2 replaces it, and node 3 is a voter again.
    n.step(append(3, 2, 3, [1, 1], [{index: 2, term: 3, type: 'noop', data: new Uint8Array(0)}], 1));
    expect(n.raw.status().conf.voters).toEqual([1, 2, 3]);
  });

  test('thesis §4.1 the configuration is rebuilt on restart from the snapshot and the config entries after it', () => {
    const storage = MemoryStorage.bootstrap({voters: [1, 2, 3], learners: []});
    storage.append([configEntry(2, 2, 'addLearner', 4), configEntry(3, 2, 'promote', 4)]);
    storage.setHardState({term: 2, vote: 0, commit: 2});
    const n = new TestNode(storage, {id: 1, random: new SeededRandom(1)});
    expect(n.raw.status().conf).toEqual({voters: [1, 2, 3, 4], learners: []});
  });

  test('thesis §4.1 a leader accepts one change at a time, and only after committing an entry of its term', () => {
    const n = TestNode.create(1, [1, 2, 3], {preVote: false});
    n.raw.campaign();
    n.ready();
    n.step({type: 'voteResp', from: 2, to: 1, term: 2, reject: false});
    expect(n.raw.proposeConfChange({type: 'addLearner', nodeId: 4})).toMatchObject({
      ok: false, reason: 'the leader has not yet committed an entry in its term',
    });
    n.step({type: 'appendResp', from: 2, to: 1, term: 2, index: 2, reject: false, hintIndex: 0, hintTerm: 0});
    expect(n.raw.proposeConfChange({type: 'addLearner', nodeId: 4}).ok).toBe(true);
    expect(n.raw.proposeConfChange({type: 'addLearner', nodeId: 5})).toMatchObject({ok: false, reason: 'a configuration change is already pending'});
  });

  test('thesis §4.2.1 a learner is promoted only once it holds every committed entry', () => {
    const c = cluster();
    c.exec('add-nodes 1 join');
    c.exec('propose-conf-change 1 add-learner 4');
    c.exec('partition 4 | 1 2 3');
    c.exec('stabilize');
    expect(c.exec('propose-conf-change 1 promote 4')).toEqual(['refused: learner 4 has not caught up']);
    c.exec('heal');
    c.exec('tick-heartbeat 1');
    c.exec('stabilize');
    expect(c.exec('propose-conf-change 1 promote 4')[0]).toMatch(/^proposed at/);
    c.exec('stabilize');
    expect(c.rawNode(4).status().conf.voters).toEqual([1, 2, 3, 4]);
  });

  test('thesis §4.2.1 learners receive the log but never campaign and do not count towards commits', () => {
    const c = cluster();
    c.exec('add-nodes 1 join');
    c.exec('propose-conf-change 1 add-learner 4');
    c.exec('stabilize');
    c.exec('partition 2 3 | 1 4');
    c.exec('propose 1 x');
    c.exec('stabilize');
    // Node 4 stores x, but leader + learner is not a majority of the voters 1, 2, 3.
    expect(c.storage(4).lastIndex()).toBe(4);
    expect(c.rawNode(1).status().commit).toBe(3);
    for (let i = 0; i < 5; i++) c.exec('tick-election 4');
    expect(c.rawNode(4).status().role).toBe('follower');
  });

  test('thesis §4.2.2 a leader that removes itself steps down once the removal commits and hands over', () => {
    const c = cluster();
    c.exec('propose-conf-change 1 remove 1');
    const out = c.exec('stabilize');
    expect(out).toContain('  send 1->2 timeoutNow term=2');
    expect(c.rawNode(1).status().role).toBe('follower');
    expect(c.rawNode(2).status()).toMatchObject({role: 'leader', conf: {voters: [2, 3]}});
  });

  test('thesis §4.2.3 removed and not-yet-added nodes never campaign', () => {
    const joiner = new TestNode(new MemoryStorage(), {id: 9, random: new SeededRandom(1)});
    joiner.tick(100);
    expect(joiner.raw.hasReady()).toBe(false);
    expect(joiner.raw.status().role).toBe('follower');
  });
});

describe('thesis §3.10 leadership transfer', () => {
  test('thesis §3.10 the leader catches the target up, then sends TimeoutNow; the target wins the next term', () => {
    const c = cluster();
    c.exec('partition 3 | 1 2');
    c.exec('propose 1 x');
    c.exec('stabilize');
    c.exec('heal');
    expect(c.exec('transfer-leadership 1 3')).toEqual(['transfer started']);
    expect(c.exec('propose 1 y')).toEqual(['refused: a leadership transfer is in progress']);
    const out = c.exec('stabilize');
    const timeoutNow = out.findIndex((l) => l.includes('1->3 timeoutNow'));
    const caughtUp = out.findIndex((l) => l.includes('3->1 appendResp term=2 index=3'));
    expect(caughtUp).toBeGreaterThan(-1);
    expect(timeoutNow).toBeGreaterThan(caughtUp);
    // The target skips pre-vote: its vote requests are flagged so that leases do not block them.
    expect(out).toContain('  send 3->2 vote term=3 last=3/2 transfer');
    expect(c.rawNode(3).status()).toMatchObject({role: 'leader', term: 3});
  });

  test('thesis §3.10 a transfer that does not finish within an election timeout is abandoned', () => {
    const c = cluster();
    c.exec('partition 3 | 1 2');
    c.exec('transfer-leadership 1 3');
    c.exec('stabilize');
    expect(c.rawNode(1).status().leadTransferee).toBe(3);
    c.exec('tick-election 1');
    expect(c.rawNode(1).status()).toMatchObject({role: 'leader', leadTransferee: 0});
    expect(c.exec('propose 1 z')[0]).toMatch(/^proposed at/);
  });

  test('thesis §3.10 only a voter can take over', () => {
    const c = cluster();
    c.exec('add-nodes 1 join');
    c.exec('propose-conf-change 1 add-learner 4');
    c.exec('stabilize');
    expect(c.exec('transfer-leadership 1 4')).toEqual(['transfer refused']);
    expect(c.exec('transfer-leadership 1 1')).toEqual(['transfer refused']);
  });
});
