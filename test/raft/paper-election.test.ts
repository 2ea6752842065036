import {describe, expect, test} from 'vitest';
import {SeededRandom} from '../../src/util/random.js';
import type {Message, VoteResponse} from '../../src/cluster/raft/index.js';
import {ScenarioCluster} from './harness/scenario-cluster.js';
import {append, storageWithLog, TestNode, vote} from './harness/single-node.js';

/** Elections: Raft paper §5.1, §5.2, §5.4.1 and the thesis's pre-vote (§9.6), lease (§4.2.3) and check-quorum (§6.2). */

function voteResponses(ms: Message[]): VoteResponse[] {
  return ms.filter((m): m is VoteResponse => m.type === 'voteResp' || m.type === 'preVoteResp');
}

function electedCluster(opts = ''): ScenarioCluster {
  const c = new ScenarioCluster();
  c.exec(`add-nodes 3 ${opts}`);
  c.exec('campaign 1');
  c.exec('stabilize');
  return c;
}

describe('§5.1 terms', () => {
  test('§5.1 a leader that sees a higher term steps down and adopts that term', () => {
    const c = electedCluster();
    const leader = c.rawNode(1);
    expect(leader.status().role).toBe('leader');
    leader.step(append(3, 1, 7, [2, 2], [], 2));
    expect(leader.status()).toMatchObject({role: 'follower', term: 7, leader: 3});
    // The new term is handed to the driver to persist.
    expect(leader.ready().hardState).toMatchObject({term: 7, vote: 0});
  });

  test('§5.1 a request from a stale term is rejected and tells the sender the current term', () => {
    const n = new TestNode(storageWithLog([1, 2, 3], [2, 3], 3), {id: 1, random: new SeededRandom(1), preVote: true});
    n.step(append(2, 1, 2, [3, 3], [{index: 4, term: 2, type: 'normal', data: new Uint8Array(1)}], 3));
    const [reply] = n.messages();
    expect(reply).toMatchObject({type: 'appendResp', term: 3, to: 2});
    expect(n.storage.lastIndex()).toBe(3);
    n.step(vote(2, 1, 2, [9, 2]));
    expect(voteResponses(n.messages())).toEqual([]);
  });
});

describe('§5.2 leader election', () => {
  test('§5.2 a follower that hears nothing for its election timeout becomes a candidate and votes for itself', () => {
    const n = TestNode.create(1, [1, 2, 3], {preVote: false});
    n.tick(9);
    expect(n.raw.hasReady()).toBe(false);
    n.tick();
    const rd = n.ready();
    expect(rd.softState.role).toBe('candidate');
    expect(rd.hardState).toMatchObject({term: 2, vote: 1});
    expect(rd.mustSync).toBe(true);
    expect(rd.messages.map((m) => [m.type, m.to, m.term])).toEqual([
      ['vote', 2, 2],
      ['vote', 3, 2],
    ]);
  });

  test('§5.2 election timeouts are drawn at random from [T, 2T)', () => {
    const waits = new Set<number>();
    for (let seed = 1; seed <= 200; seed++) {
      const n = TestNode.create(1, [1, 2, 3], {preVote: false, random: new SeededRandom(seed), electionTimeoutTicks: 10});
      let ticks = 0;
      while (n.raw.status().role === 'follower') {
        n.tick();
        ticks++;
      }
      waits.add(ticks);
    }
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...waits)).toBeLessThanOrEqual(19);
    // Spread over the whole range: that is what makes split votes unlikely to repeat.
    expect(waits.size).toBeGreaterThanOrEqual(9);
  });

  test('§5.2 a candidate that wins a majority becomes leader and appends a no-op of its term', () => {
    const c = electedCluster('prevote=false');
    expect(c.rawNode(1).status()).toMatchObject({role: 'leader', term: 2});
    expect(c.storage(2).term(2)).toBe(2);
    expect(c.storage(2).entries(2, 3, 1000)[0]!.type).toBe('noop');
  });

  test('§5.2 each server grants at most one vote per term, and the vote is persisted with the grant', () => {
    const n = TestNode.create(1, [1, 2, 3], {preVote: false});
    n.step(vote(2, 1, 5, [1, 1]));
    const rd = n.ready();
    expect(voteResponses([...rd.messages])).toMatchObject([{to: 2, term: 5, reject: false}]);
    // The HardState carrying the vote is in the same Ready as the grant, and must be fsynced before sending it.
    expect(rd.hardState).toMatchObject({term: 5, vote: 2});
    expect(rd.mustSync).toBe(true);
    n.step(vote(3, 1, 5, [1, 1]));
    expect(voteResponses(n.messages())).toMatchObject([{to: 3, reject: true}]);
    // A restart must not forget the vote.
    n.restart().step(vote(3, 1, 5, [1, 1]));
    expect(voteResponses(n.messages())).toMatchObject([{to: 3, reject: true}]);
    // Asking again for the same candidate is answered the same way (a retransmission).
    n.step(vote(2, 1, 5, [1, 1]));
    expect(voteResponses(n.messages())).toMatchObject([{to: 2, reject: false}]);
  });

  test('§5.2 one vote per term, broken on purpose (forgetVotePersist): after a restart the node votes twice', () => {
    const n = TestNode.create(1, [1, 2, 3], {preVote: false, testBugs: {forgetVotePersist: true}});
    n.step(vote(2, 1, 5, [1, 1]));
    expect(n.ready().hardState).toMatchObject({term: 5, vote: 0});
    n.restart().step(vote(3, 1, 5, [1, 1]));
    expect(voteResponses(n.messages())).toMatchObject([{to: 3, term: 5, reject: false}]);
  });

  test('§5.2 a candidate steps down when a leader of its term appends', () => {
    const n = TestNode.create(1, [1, 2, 3], {preVote: false});
    n.raw.campaign();
    n.ready();
    n.step(append(2, 1, 2, [1, 1], [], 1));
    expect(n.raw.status()).toMatchObject({role: 'follower', term: 2, leader: 2});
  });

  test('§5.2 a candidate rejected by a majority returns to follower', () => {
    const n = TestNode.create(1, [1, 2, 3], {preVote: false});
    n.raw.campaign();
    n.ready();
    n.step({type: 'voteResp', from: 2, to: 1, term: 2, reject: true});
    expect(n.raw.status().role).toBe('candidate');
    n.step({type: 'voteResp', from: 3, to: 1, term: 2, reject: true});
    expect(n.raw.status()).toMatchObject({role: 'follower', term: 2});
  });
});

describe('§5.4.1 election restriction', () => {
  test('§5.4.1 election restriction: a voter rejects a candidate whose last log term is lower', () => {
    const n = new TestNode(storageWithLog([1, 2, 3], [2, 3], 3), {id: 1, random: new SeededRandom(1), preVote: false});
    n.step(vote(2, 1, 4, [10, 2]));
    expect(voteResponses(n.messages())).toMatchObject([{reject: true, term: 4}]);
  });

  test('§5.4.1 election restriction: with equal last terms, a voter rejects the shorter log', () => {
    const n = new TestNode(storageWithLog([1, 2, 3], [2, 3, 3], 3), {id: 1, random: new SeededRandom(1), preVote: false});
    n.step(vote(2, 1, 4, [3, 3]));
    expect(voteResponses(n.messages())).toMatchObject([{reject: true}]);
    n.step(vote(3, 1, 4, [4, 3]));
    expect(voteResponses(n.messages())).toMatchObject([{to: 3, reject: false}]);
  });

  test('§5.4.1 election restriction, broken on purpose (skipUpToDateCheck): the stale candidate gets the vote', () => {
    const n = new TestNode(storageWithLog([1, 2, 3], [2, 3], 3), {
      id: 1, random: new SeededRandom(1), preVote: false, testBugs: {skipUpToDateCheck: true},
    });
    n.step(vote(2, 1, 4, [10, 2]));
    expect(voteResponses(n.messages())).toMatchObject([{reject: false}]);
  });
});

describe('thesis §9.6 pre-vote, §4.2.3 lease, §6.2 check-quorum', () => {
  test('thesis §9.6 pre-vote asks for term + 1 and changes no one\'s term or vote', () => {
    const n = TestNode.create(1, [1, 2, 3], {preVote: true});
    n.tick(10);
    const rd = n.ready();
    expect(rd.softState.role).toBe('preCandidate');
    expect(rd.hardState).toBeUndefined();
    expect(rd.messages.map((m) => [m.type, m.term])).toEqual([
      ['preVote', 2],
      ['preVote', 2],
    ]);
    const voter = TestNode.create(2, [1, 2, 3]);
    voter.step(vote(1, 2, 2, [1, 1], 'preVote'));
    const v = voter.ready();
    expect(voteResponses([...v.messages])).toMatchObject([{type: 'preVoteResp', reject: false, term: 2}]);
    expect(v.hardState).toBeUndefined();
    expect(voter.raw.status()).toMatchObject({term: 1, vote: 0});
  });

  test('thesis §9.6 a pre-candidate becomes a candidate only after a majority of pre-votes', () => {
    const n = TestNode.create(1, [1, 2, 3], {preVote: true});
    n.tick(10);
    n.ready();
    n.step({type: 'preVoteResp', from: 2, to: 1, term: 2, reject: false});
    const rd = n.ready();
    expect(rd.softState.role).toBe('candidate');
    expect(rd.hardState).toMatchObject({term: 2, vote: 1});
  });

  test('thesis §4.2.3 a follower that heard from its leader within the election timeout ignores vote requests', () => {
    const n = TestNode.create(2, [1, 2, 3], {checkQuorum: true, preVote: false});
    n.step({type: 'heartbeat', from: 1, to: 2, term: 2, commit: 1});
    n.ready();
    n.step(vote(3, 2, 3, [5, 2]));
    expect(n.messages()).toEqual([]);
    expect(n.raw.status().term).toBe(2);
    // Once the lease has expired it votes again.
    n.tick(10);
    n.step(vote(3, 2, 4, [5, 2]));
    expect(voteResponses(n.messages())).toMatchObject([{to: 3, term: 4, reject: false}]);
  });

  test('thesis §6.2 check-quorum: a leader that hears from no majority for an election timeout steps down', () => {
    const c = electedCluster('checkquorum=true heartbeat=5');
    c.exec('partition 1 | 2 3');
    c.exec('tick-election 1');
    c.exec('stabilize');
    expect(c.rawNode(1).status().role).toBe('leader');
    c.exec('tick-election 1');
    c.exec('stabilize');
    expect(c.rawNode(1).status().role).toBe('follower');
  });

  test('thesis §6.2 without check-quorum a partitioned leader keeps believing it leads', () => {
    const c = electedCluster('checkquorum=false heartbeat=5');
    c.exec('partition 1 | 2 3');
    for (let i = 0; i < 5; i++) c.exec('tick-election 1');
    c.exec('stabilize');
    expect(c.rawNode(1).status().role).toBe('leader');
  });
});
