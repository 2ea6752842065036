import {confChangeError, decodeConfChange} from './conf-change.js';
import type {AppendResponse, HeartbeatResponse, Message} from './messages.js';
import {Progress} from './progress.js';
import {committedIndex, majority} from './quorum.js';
import type {Raft} from './raft.js';
import {NONE, type EntryType, type NodeId} from './types.js';

export type ProposeResult =
  | {readonly ok: true; readonly index: number; readonly term: number}
  | {readonly ok: false; readonly reason: string};

/** Called instead of `becomeLeader` directly: the no-op must be counted and sent at once. */
export function startLeading(r: Raft): void {
  r.becomeLeader();
  for (const [id, pr] of r.prs) pr.recentActive = id === r.id;
  maybeCommit(r);
  bcastAppend(r);
}

export function tickLeader(r: Raft): void {
  r.heartbeatElapsed++;
  r.electionElapsed++;
  if (r.electionElapsed >= r.cfg.electionTimeoutTicks) {
    r.electionElapsed = 0;
    if (r.cfg.checkQuorum) {
      if (!quorumActive(r)) {
        // Thesis §6.2: a leader cut off from its majority steps down, so clients stop trusting it.
        r.becomeFollower(r.term, NONE);
        return;
      }
      for (const [id, pr] of r.prs) if (id !== r.id) pr.recentActive = false;
    }
    // A transfer that did not finish within an election timeout has failed; accept proposals again.
    r.abortLeaderTransfer();
  }
  for (const pr of r.prs.values()) {
    if (pr.state === 'snapshot' && ++pr.snapshotTicks >= r.cfg.electionTimeoutTicks) snapshotFailed(pr);
  }
  if (r.heartbeatElapsed >= r.cfg.heartbeatIntervalTicks) {
    r.heartbeatElapsed = 0;
    bcastHeartbeat(r);
  }
}

export function stepLeader(r: Raft, m: Message): void {
  if (m.type === 'appendResp') handleAppendResponse(r, m);
  else if (m.type === 'heartbeatResp') handleHeartbeatResponse(r, m);
  // Anything else at our term is a stale vote response or a message we do not act on as leader.
}

export function propose(r: Raft, type: EntryType, datas: readonly Uint8Array[]): ProposeResult {
  const refused = proposalRefusal(r, type, datas);
  if (refused !== undefined) return {ok: false, reason: refused};
  r.appendEntries(datas.map((data) => ({type, data})));
  if (maybeCommit(r)) afterCommit(r);
  bcastAppend(r);
  return {ok: true, index: r.log.lastIndex(), term: r.term};
}

function proposalRefusal(r: Raft, type: EntryType, datas: readonly Uint8Array[]): string | undefined {
  if (r.role !== 'leader') return 'not the leader';
  if (!r.prs.has(r.id)) return 'this leader is being removed from the configuration';
  if (r.leadTransferee !== NONE) return 'a leadership transfer is in progress';
  if (datas.length === 0) return 'nothing to propose';
  const bytes = datas.reduce((n, d) => n + d.length, 0);
  const max = r.cfg.maxUncommittedBytes;
  // Always admit something when nothing is pending, or an entry larger than the limit could never commit.
  if (max > 0 && r.uncommittedBytes > 0 && r.uncommittedBytes + bytes > max) return 'too many uncommitted entries';
  if (type !== 'config') return undefined;
  if (datas.length !== 1) return 'one configuration change at a time';
  const cc = decodeConfChange(datas[0]!);
  if (cc === undefined) return 'malformed configuration change';
  // One change at a time, and only once this leader committed an entry of its own term: without the latter, a
  // change proposed right after an election can overlap an uncommitted one from the previous term (the
  // single-server membership bug Ongaro described in 2015).
  if (r.history.lastIndex() > r.log.committed) return 'a configuration change is already pending';
  if (r.log.term(r.log.committed) !== r.term) return 'the leader has not yet committed an entry in its term';
  const invalid = confChangeError(r.conf(), cc);
  if (invalid !== undefined) return invalid;
  if (cc.type === 'promote') {
    const pr = r.prs.get(cc.nodeId);
    if (pr === undefined || pr.match < r.log.committed) return `learner ${cc.nodeId} has not caught up`;
  }
  return undefined;
}

export function transferLeadership(r: Raft, to: NodeId): boolean {
  if (r.role !== 'leader' || to === r.id || !r.voters().includes(to)) return false;
  if (r.leadTransferee === to) return true;
  r.abortLeaderTransfer();
  r.electionElapsed = 0;
  r.leadTransferee = to;
  const pr = r.prs.get(to)!;
  if (pr.match === r.log.lastIndex()) sendTimeoutNow(r, to);
  else maybeSendAppend(r, to, true);
  return true;
}

/** Keeps one Progress per member of the configuration in our log (which changes when entries are appended). */
export function syncProgress(r: Raft): void {
  const conf = r.conf();
  const members = new Set([...conf.voters, ...conf.learners]);
  for (const id of [...r.prs.keys()]) if (!members.has(id)) r.prs.delete(id);
  for (const id of members) {
    let pr = r.prs.get(id);
    if (pr === undefined) {
      pr = new Progress(r.log.lastIndex() + 1, r.cfg.maxInflightMsgs, false);
      pr.recentActive = true;
      if (id === r.id) pr.match = r.log.lastIndex();
      r.prs.set(id, pr);
    }
    pr.isLearner = conf.learners.includes(id);
  }
  if (r.leadTransferee !== NONE && !conf.voters.includes(r.leadTransferee)) r.abortLeaderTransfer();
  // A smaller quorum may already hold more entries.
  if (r.role === 'leader' && maybeCommit(r)) {
    afterCommit(r);
    bcastAppend(r);
  }
}

/** Returns true when the commit index moved. */
export function maybeCommit(r: Raft): boolean {
  const voters = r.voters();
  const bugs = r.cfg.testBugs;
  const quorum = bugs?.commitOnMinority ? Math.max(1, Math.floor(voters.length / 2)) : majority(voters.length);
  const index = committedIndex(voters, (id) => r.prs.get(id)?.match ?? 0, quorum);
  return r.log.maybeCommit(index, r.term, bugs?.commitPriorTermByCounting === true);
}

/** Thesis §4.2.2: a leader that removed itself manages the cluster until the removal commits, then steps down. */
function afterCommit(r: Raft): void {
  if (r.role !== 'leader' || r.prs.has(r.id) || r.history.lastIndex() > r.log.committed) return;
  const heir = r.voters().find((id) => r.prs.get(id)?.match === r.log.lastIndex());
  if (heir !== undefined) sendTimeoutNow(r, heir);
  r.becomeFollower(r.term, NONE);
}

function handleAppendResponse(r: Raft, m: AppendResponse): void {
  const pr = r.prs.get(m.from);
  if (pr === undefined) return;
  pr.recentActive = true;
  if (m.reject) {
    const hint = m.hintTerm > 0 ? r.log.findConflictByTerm(m.hintIndex, m.hintTerm) : m.hintIndex;
    if (pr.maybeDecrTo(m.index, hint)) {
      if (pr.state === 'replicate') pr.becomeProbe();
      maybeSendAppend(r, m.from, true);
    }
    return;
  }
  const wasPaused = pr.isPaused();
  if (!pr.maybeUpdate(m.index) && !(pr.match === m.index && pr.state === 'probe')) return;
  if (pr.state === 'probe') {
    pr.becomeReplicate();
  } else if (pr.state === 'snapshot' && pr.match + 1 >= r.log.firstIndex()) {
    pr.becomeProbe();
    pr.becomeReplicate();
  } else if (pr.state === 'replicate') {
    pr.inflights.freeLE(m.index);
  }
  if (maybeCommit(r)) {
    afterCommit(r);
    if (r.role !== 'leader') return;
    bcastAppend(r);
  } else if (wasPaused) {
    maybeSendAppend(r, m.from, true);
  }
  // Pipeline: keep sending while the flow-control window has room.
  while (maybeSendAppend(r, m.from, false)) {
    /* each call sends one batch */
  }
  if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) sendTimeoutNow(r, m.from);
}

function handleHeartbeatResponse(r: Raft, m: HeartbeatResponse): void {
  const pr = r.prs.get(m.from);
  if (pr === undefined) return;
  pr.recentActive = true;
  pr.probeSent = false;
  // Proof of life: if every in-flight message was lost, free a slot so replication resumes (and finds the gap).
  if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
  if (pr.match < r.log.lastIndex()) maybeSendAppend(r, m.from, true);
}

export function bcastAppend(r: Raft): void {
  for (const id of r.prs.keys()) if (id !== r.id) maybeSendAppend(r, id, true);
}

function bcastHeartbeat(r: Raft): void {
  for (const [id, pr] of r.prs) {
    if (id === r.id) continue;
    const commit = Math.min(pr.match, r.log.committed);
    r.send({type: 'heartbeat', from: r.id, to: id, term: r.term, commit});
  }
}

/** Sends the next batch to `to` if flow control allows; returns whether anything was sent. */
export function maybeSendAppend(r: Raft, to: NodeId, sendIfEmpty: boolean): boolean {
  const pr = r.prs.get(to);
  if (pr === undefined || pr.isPaused()) return false;
  const prevLogIndex = pr.next - 1;
  const prevLogTerm = r.log.term(prevLogIndex);
  const entries = prevLogTerm === undefined ? undefined : r.log.entriesFrom(pr.next, r.cfg.maxMsgBytes);
  if (prevLogTerm === undefined || entries === undefined) return sendSnapshot(r, to, pr);
  if (entries.length === 0 && !sendIfEmpty) return false;
  r.send({type: 'append', from: r.id, to, term: r.term, prevLogIndex, prevLogTerm, entries, commit: r.log.committed});
  if (entries.length > 0 && pr.state === 'replicate') {
    const last = entries[entries.length - 1]!.index;
    pr.next = last + 1;
    pr.inflights.add(last);
  } else if (pr.state === 'probe') {
    pr.probeSent = true;
  }
  return true;
}

/** The follower needs entries we compacted: send the latest snapshot and pause until it is acknowledged. */
function sendSnapshot(r: Raft, to: NodeId, pr: Progress): boolean {
  // A follower we have not heard from may be down; a snapshot can be large, so wait for a sign of life.
  if (!pr.recentActive) return false;
  const snapshot = r.log.snapshot();
  r.send({type: 'snapshot', from: r.id, to, term: r.term, snapshot});
  pr.becomeSnapshot(snapshot.metadata.index);
  return true;
}

/** A snapshot that was lost or refused: probe again, which will send a new one if still needed. */
export function snapshotFailed(pr: Progress): void {
  pr.pendingSnapshot = 0;
  pr.becomeProbe();
}

function sendTimeoutNow(r: Raft, to: NodeId): void {
  r.send({type: 'timeoutNow', from: r.id, to, term: r.term});
}

function quorumActive(r: Raft): boolean {
  const voters = r.voters();
  const active = voters.filter((id) => id === r.id || r.prs.get(id)?.recentActive === true).length;
  return active >= majority(voters.length);
}
