import {AssertionError} from '../../util/assert.js';
import {hup} from './election.js';
import type {AppendRequest, Heartbeat, InstallSnapshot, Message} from './messages.js';
import type {Raft} from './raft.js';

export function stepFollower(r: Raft, m: Message): void {
  switch (m.type) {
    case 'append':
    case 'heartbeat':
    case 'snapshot':
      r.electionElapsed = 0;
      r.lead = m.from;
      if (m.type === 'append') handleAppend(r, m);
      else if (m.type === 'heartbeat') handleHeartbeat(r, m);
      else handleSnapshot(r, m);
      return;
    case 'timeoutNow':
      // Leadership transfer: campaign at once, skipping pre-vote (the leader asked us to).
      hup(r, true);
      return;
    default:
      return;
  }
}

/** §5.3: accept entries only after a matching (prevLogIndex, prevLogTerm); replace any conflicting suffix. */
export function handleAppend(r: Raft, m: AppendRequest): void {
  const log = r.log;
  if (m.prevLogIndex < log.committed) {
    // Everything up to our commit already matches the leader's log; tell it where we really are.
    respond(r, m.from, log.committed);
    return;
  }
  if (!log.matchTerm(m.prevLogIndex, m.prevLogTerm)) {
    const hintIndex = log.findConflictByTerm(Math.min(m.prevLogIndex, log.lastIndex()), m.prevLogTerm);
    r.send({
      type: 'appendResp', from: r.id, to: m.from, term: r.term,
      index: m.prevLogIndex, reject: true, hintIndex, hintTerm: log.term(hintIndex) ?? 0,
    });
    return;
  }
  const lastNew = m.prevLogIndex + m.entries.length;
  const conflict = log.findConflict(m.entries);
  if (conflict !== 0) {
    if (conflict <= log.committed) throw new AssertionError(`raft: entry ${conflict} conflicts with a committed entry`);
    r.appendToLog(m.entries.slice(conflict - m.prevLogIndex - 1));
  }
  // Only up to what this message proved we share with the leader: our log beyond it may still diverge.
  log.commitTo(Math.min(m.commit, lastNew));
  respond(r, m.from, lastNew);
}

export function handleHeartbeat(r: Raft, m: Heartbeat): void {
  r.log.commitTo(m.commit);
  r.send({type: 'heartbeatResp', from: r.id, to: m.from, term: r.term});
}

/** §7: a snapshot replaces the log unless we already hold its last entry. */
export function handleSnapshot(r: Raft, m: InstallSnapshot): void {
  const meta = m.snapshot.metadata;
  if (meta.index <= r.log.committed) {
    respond(r, m.from, r.log.committed);
    return;
  }
  if (r.log.matchTerm(meta.index, meta.term)) {
    // We hold its last entry, so we hold everything before it (log matching): just fast-forward the commit.
    r.log.commitTo(meta.index);
    respond(r, m.from, r.log.committed);
    return;
  }
  r.log.restore(m.snapshot);
  r.history.restore(m.snapshot);
  r.onConfigChange();
  respond(r, m.from, r.log.lastIndex());
}

function respond(r: Raft, to: number, index: number): void {
  r.send({type: 'appendResp', from: r.id, to, term: r.term, index, reject: false, hintIndex: 0, hintTerm: 0});
}
