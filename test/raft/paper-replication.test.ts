import {describe, expect, test} from 'vitest';
import {SeededRandom} from '../../src/util/random.js';
import type {AppendRequest, Message, NodeId} from '../../src/cluster/raft/index.js';
import {ScenarioCluster} from './harness/scenario-cluster.js';
import {append, entries, storageWithLog, TestNode} from './harness/single-node.js';

/** Log replication and safety: Raft paper §5.3, §5.4.2, §5.5 and §7, plus flow control and the persistence contract. */

function appendsTo(ms: readonly Message[], to: NodeId): AppendRequest[] {
  return ms.filter((m): m is AppendRequest => m.type === 'append' && m.to === to);
}

function cluster(opts = ''): ScenarioCluster {
  const c = new ScenarioCluster();
  c.exec(`add-nodes 3 ${opts}`);
  c.exec('campaign 1');
  c.exec('stabilize');
  return c;
}

/** Node 1 wins term 2 of a two-voter cluster (node 2 is only ever simulated by hand-made messages). */
function twoNodeLeader(opts = {}): TestNode {
  const n = TestNode.create(1, [1, 2], {preVote: false, ...opts});
  n.raw.campaign();
  n.step({type: 'voteResp', from: 2, to: 1, term: 2, reject: false});
  expect(n.raw.status().role).toBe('leader');
  return n;
}

/** Node 1 leads term 4 over a log whose index 2 holds an entry of term 2; nothing above 1 is committed. */
function leaderOverOldEntry(bugs = {}): TestNode {
  const n = new TestNode(storageWithLog([1, 2, 3], [2], 3), {id: 1, random: new SeededRandom(1), preVote: false, testBugs: bugs});
  n.raw.campaign();
  n.ready();
  n.step({type: 'voteResp', from: 2, to: 1, term: 4, reject: false});
  const rd = n.ready();
  expect(rd.softState.role).toBe('leader');
  expect(rd.entries).toMatchObject([{index: 3, term: 4, type: 'noop'}]);
  return n;
}

describe('§5.3 log replication', () => {
  test('§5.3 an entry commits once a majority stores it, and every node applies it', () => {
    const c = cluster();
    c.exec('partition 3 | 1 2');
    c.exec('propose 1 x');
    c.exec('stabilize');
    expect(c.rawNode(1).status().commit).toBe(3);
    expect(c.appliedTexts(2)).toContain('x');
    expect(c.appliedTexts(3)).not.toContain('x');
    c.exec('heal');
    c.exec('tick-heartbeat 1');
    c.exec('stabilize');
    expect(c.appliedTexts(3)).toEqual(c.appliedTexts(1));
  });

  test('§5.3 a majority, broken on purpose (commitOnMinority): a 3-node leader commits on its own copy', () => {
    const commitAfterElection = (bugs: object) => {
      const n = TestNode.create(1, [1, 2, 3], {preVote: false, testBugs: bugs});
      n.raw.campaign();
      n.ready();
      n.step({type: 'voteResp', from: 2, to: 1, term: 2, reject: false});
      return n.raw.status().commit;
    };
    expect(commitAfterElection({})).toBe(1);
    // Nobody has acknowledged the no-op, yet it commits: ⌊3/2⌋ = 1 copy passes for a quorum.
    expect(commitAfterElection({commitOnMinority: true})).toBe(2);
  });

  test('§5.3 without a majority nothing commits', () => {
    const c = cluster('checkquorum=false');
    c.exec('partition 1 | 2 3');
    c.exec('propose 1 x');
    c.exec('stabilize');
    expect(c.rawNode(1).status()).toMatchObject({commit: 2, lastIndex: 3});
  });

  test('§5.3 a follower rejects an AppendEntries whose previous entry does not match, with a hint', () => {
    const n = new TestNode(storageWithLog([1, 2, 3], [2, 2], 2), {id: 2, random: new SeededRandom(1)});
    n.step(append(1, 2, 3, [5, 3], entries(6, [3]), 3));
    const [r] = n.messages();
    expect(r).toMatchObject({type: 'appendResp', reject: true, index: 5, hintIndex: 3, hintTerm: 2});
    expect(n.storage.lastIndex()).toBe(3);
  });

  test('§5.3 a follower replaces a conflicting suffix: the Ready starts at the truncation point', () => {
    const n = new TestNode(storageWithLog([1, 2, 3], [2, 2, 2], 2), {id: 2, random: new SeededRandom(1)});
    n.step(append(1, 2, 3, [2, 2], entries(3, [3]), 1));
    const rd = n.ready();
    expect(rd.entries).toMatchObject([{index: 3, term: 3}]);
    expect(n.storage.lastIndex()).toBe(3);
    expect(n.storage.term(3)).toBe(3);
    expect(rd.messages).toMatchObject([{type: 'appendResp', reject: false, index: 3}]);
  });

  test('§5.3 a follower commits no further than the entries the message proved it shares with the leader', () => {
    const n = new TestNode(storageWithLog([1, 2, 3], [2, 2, 2, 2], 2), {id: 2, random: new SeededRandom(1)});
    // Entries 3..5 may still diverge from the leader's: only 2 is proven to match.
    n.step(append(1, 2, 3, [2, 2], [], 9));
    expect(n.raw.status().commit).toBe(2);
  });
});

describe('§5.4.2 committing entries from previous terms', () => {
  test('§5.4.2 a leader does not commit an entry of an earlier term by counting replicas (Figure 8)', () => {
    const n = leaderOverOldEntry();
    // Node 2 acknowledges index 2 (the old entry) but not yet the no-op: a majority holds 2, yet 2 is of term 2.
    n.step({type: 'appendResp', from: 2, to: 1, term: 4, index: 2, reject: false, hintIndex: 0, hintTerm: 0});
    expect(n.raw.status().commit).toBe(1);
    // Once an entry of the current term is on a majority, everything before it commits too.
    n.step({type: 'appendResp', from: 2, to: 1, term: 4, index: 3, reject: false, hintIndex: 0, hintTerm: 0});
    expect(n.raw.status().commit).toBe(3);
  });

  test('§5.4.2 broken on purpose (commitPriorTermByCounting): the old entry commits by counting', () => {
    const n = leaderOverOldEntry({commitPriorTermByCounting: true});
    n.step({type: 'appendResp', from: 2, to: 1, term: 4, index: 2, reject: false, hintIndex: 0, hintTerm: 0});
    expect(n.raw.status().commit).toBe(2);
  });
});

describe('§5.5 follower and candidate crashes: RPCs are idempotent', () => {
  test('§5.5 a duplicated AppendEntries changes nothing the second time', () => {
    const n = new TestNode(storageWithLog([1, 2, 3], [2], 2), {id: 2, random: new SeededRandom(1)});
    const m = append(1, 2, 2, [2, 2], entries(3, [2, 2]), 2);
    n.step(m);
    expect(n.ready().entries).toHaveLength(2);
    n.step(m);
    const rd = n.ready();
    expect(rd.entries).toEqual([]);
    expect(rd.messages).toMatchObject([{type: 'appendResp', index: 4, reject: false}]);
  });

  test('§5.5 a delayed, older AppendEntries does not truncate entries that arrived after it', () => {
    const n = new TestNode(storageWithLog([1, 2, 3], [2], 2), {id: 2, random: new SeededRandom(1)});
    n.step(append(1, 2, 2, [2, 2], entries(3, [2, 2]), 2)).ready();
    n.step(append(1, 2, 2, [2, 2], entries(3, [2]), 2));
    expect(n.ready().entries).toEqual([]);
    expect(n.storage.lastIndex()).toBe(4);
  });
});

describe('§7 log compaction', () => {
  const snapshot = (index: number, term: number) => ({
    type: 'snapshot' as const, from: 1, to: 2, term: 3,
    snapshot: {metadata: {index, term, confState: {voters: [1, 2, 3], learners: []}}, data: new Uint8Array([7])},
  });

  test('§7 a follower installs a snapshot beyond its log, discarding the log', () => {
    const n = new TestNode(storageWithLog([1, 2, 3], [2, 2], 2), {id: 2, random: new SeededRandom(1)});
    n.step(snapshot(10, 3));
    const rd = n.ready();
    expect(rd.snapshot?.metadata).toMatchObject({index: 10, term: 3});
    expect(rd.mustSync).toBe(true);
    expect(rd.messages).toMatchObject([{type: 'appendResp', index: 10, reject: false}]);
    expect(n.raw.status()).toMatchObject({commit: 10, applied: 10, firstIndex: 11, lastIndex: 10});
  });

  test('§7 a snapshot whose last entry the follower holds only moves its commit index', () => {
    const n = new TestNode(storageWithLog([1, 2, 3], [2, 3, 3], 3), {id: 2, random: new SeededRandom(1)});
    n.step(snapshot(3, 3));
    const rd = n.ready();
    expect(rd.snapshot).toBeUndefined();
    expect(n.raw.status()).toMatchObject({commit: 3, lastIndex: 4});
  });

  test('§7 a leader sends its snapshot to a follower that needs compacted entries', () => {
    const c = cluster();
    c.exec('partition 3 | 1 2');
    c.exec('propose 1 a');
    c.exec('stabilize');
    c.exec('compact 1 3');
    c.exec('heal');
    c.exec('propose 1 b');
    const out = c.exec('stabilize').concat(c.exec('tick-heartbeat 1'), c.exec('stabilize'));
    expect(out.some((l) => l.includes('1->3 snapshot'))).toBe(true);
    expect(c.appliedTexts(3)).toEqual(c.appliedTexts(1));
  });
});

describe('flow control', () => {
  test('flow control: a replicating follower has at most maxInflightMsgs AppendEntries outstanding', () => {
    const c = cluster('inflight=2');
    c.exec('partition 3 | 1 2');
    const sent: string[] = [];
    for (const x of ['a', 'b', 'c', 'd']) {
      c.exec(`propose 1 ${x}`);
      sent.push(...c.exec('process-ready 1').filter((l) => l.includes('send 1->3 append')));
      c.exec('deliver-msgs 3 drop=true');
    }
    expect(sent).toHaveLength(2);
  });

  test('flow control: one AppendEntries carries at most maxMsgBytes, but always at least one entry', () => {
    const n = twoNodeLeader({maxMsgBytes: 40});
    n.ready();
    // While the probe is outstanding nothing else is sent; then the follower acknowledges the no-op.
    n.raw.proposeBatch([new Uint8Array(4), new Uint8Array(4), new Uint8Array(100)]);
    expect(appendsTo(n.messages(), 2)).toEqual([]);
    n.step({type: 'appendResp', from: 2, to: 1, term: 2, index: 2, reject: false, hintIndex: 0, hintTerm: 0});
    // Two 20-byte entries (4 bytes of data + 16 of overhead) fill 40 bytes; the 116-byte entry goes alone.
    expect(appendsTo(n.messages(), 2).map((m) => m.entries.map((e) => e.index))).toEqual([[3, 4], [5]]);
  });

  test('flow control: a probing follower gets one AppendEntries per round trip', () => {
    const n = twoNodeLeader();
    expect(appendsTo(n.messages(), 2)).toHaveLength(1);
    n.raw.propose(new Uint8Array(1));
    n.raw.propose(new Uint8Array(1));
    expect(appendsTo(n.messages(), 2)).toHaveLength(0);
  });

  test('flow control: a leader refuses proposals beyond maxUncommittedBytes', () => {
    const n = twoNodeLeader({maxUncommittedBytes: 10});
    expect(n.raw.propose(new Uint8Array(8)).ok).toBe(true);
    expect(n.raw.propose(new Uint8Array(8))).toMatchObject({ok: false, reason: 'too many uncommitted entries'});
  });
});

describe('persistence contract', () => {
  test('persistence: entries, a new term or a new vote require a sync; a commit index alone does not', () => {
    const n = twoNodeLeader();
    const election = n.ready();
    expect(election.hardState).toMatchObject({term: 2, vote: 1});
    expect(election.mustSync).toBe(true);
    n.raw.propose(new Uint8Array(1));
    const withEntries = n.ready();
    expect(withEntries.entries).toHaveLength(1);
    expect(withEntries.mustSync).toBe(true);
    n.step({type: 'appendResp', from: 2, to: 1, term: 2, index: 3, reject: false, hintIndex: 0, hintTerm: 0});
    const commitOnly = n.ready();
    expect(commitOnly.hardState?.commit).toBe(3);
    expect(commitOnly.entries).toEqual([]);
    expect(commitOnly.mustSync).toBe(false);
  });

  test('persistence: the driver is asked for a snapshot once the log passes the threshold', () => {
    const n = TestNode.create(1, [1], {snapshotThresholdEntries: 3});
    n.raw.campaign();
    n.ready();
    for (const x of [1, 2, 3]) n.raw.propose(new Uint8Array([x]));
    const rd = n.ready();
    // The no-op (2) committed in the election's Ready; these three bring the log to the threshold.
    expect(rd.committedEntries.map((e) => e.index)).toEqual([3, 4, 5]);
    expect(rd.snapshotRequest).toEqual({index: 5, confState: {voters: [1], learners: []}});
  });

  test('persistence: a restarted node recovers term, vote and log, and re-applies from its snapshot', () => {
    const c = cluster();
    c.exec('propose 1 x');
    c.exec('stabilize');
    c.exec('crash 2');
    c.exec('restart 2');
    expect(c.rawNode(2).status()).toMatchObject({term: 2, vote: 1, lastIndex: 3, applied: 1});
    c.exec('stabilize');
    expect(c.appliedTexts(2)).toEqual(['noop', 'x']);
  });
});
