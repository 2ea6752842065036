import {decodeConfChange, type Entry, type Message, type Ready} from '../../../src/cluster/raft/index.js';

/** Text forms used in scenario output. Entries and log positions are written index/term, as in the paper's figures. */
export function fmtEntry(e: Entry): string {
  if (e.type === 'noop') return `${e.index}/${e.term} noop`;
  if (e.type === 'config') {
    const cc = decodeConfChange(e.data);
    return `${e.index}/${e.term} config(${cc === undefined ? '?' : `${cc.type} ${cc.nodeId}`})`;
  }
  return `${e.index}/${e.term} "${new TextDecoder().decode(e.data)}"`;
}

export function fmtEntries(es: readonly Entry[]): string {
  return es.length === 0 ? '[]' : `[${es.map(fmtEntry).join(', ')}]`;
}

export function fmtMessage(m: Message): string {
  const head = `${m.from}->${m.to} ${m.type} term=${m.term}`;
  switch (m.type) {
    case 'vote':
    case 'preVote':
      return `${head} last=${m.lastLogIndex}/${m.lastLogTerm}${m.transfer ? ' transfer' : ''}`;
    case 'voteResp':
    case 'preVoteResp':
      return `${head}${m.reject ? ' rejected' : ' granted'}`;
    case 'append':
      return `${head} prev=${m.prevLogIndex}/${m.prevLogTerm} commit=${m.commit} entries=${fmtEntries(m.entries)}`;
    case 'appendResp':
      return m.reject ? `${head} rejected index=${m.index} hint=${m.hintIndex}/${m.hintTerm}` : `${head} index=${m.index}`;
    case 'heartbeat':
      return `${head} commit=${m.commit}`;
    case 'heartbeatResp':
    case 'timeoutNow':
      return head;
    case 'snapshot': {
      const s = m.snapshot.metadata;
      return `${head} snapshot=${s.index}/${s.term} voters=(${s.confState.voters.join(',')}) learners=(${s.confState.learners.join(',')})`;
    }
  }
}

/** One Ready, as the lines a reader follows: what changed, what to persist, what to send, what to apply. */
export function fmtReady(id: number, rd: Ready, roleChanged: boolean): string[] {
  const out = [`> ${id} ready`];
  if (roleChanged) out.push(`  state: ${rd.softState.role} lead=${rd.softState.leader}`);
  const hs = rd.hardState;
  if (hs) out.push(`  hard state: term=${hs.term} vote=${hs.vote} commit=${hs.commit}${rd.mustSync ? '' : ' (no sync)'}`);
  if (rd.snapshot) {
    const s = rd.snapshot.metadata;
    out.push(`  install snapshot: ${s.index}/${s.term} voters=(${s.confState.voters.join(',')}) learners=(${s.confState.learners.join(',')})`);
  }
  if (rd.entries.length > 0) out.push(`  persist: ${fmtEntries(rd.entries)}`);
  if (rd.committedEntries.length > 0) out.push(`  apply: ${fmtEntries(rd.committedEntries)}`);
  for (const m of rd.messages) out.push(`  send ${fmtMessage(m)}`);
  return out;
}
