import type {Logger} from '../observe/logger.js';
import type {ConfChange} from './raft/index.js';
import type {RaftGroup} from './raft-group.js';

/**
 * Brings a Raft group's membership to its target, one single-server change at a time, on the group's leader:
 * add a missing replica as a learner; promote a learner once it holds everything committed (the core refuses
 * earlier); remove learners, then voters, that the target no longer lists (the leader may remove itself: it hands
 * over to a caught-up voter once the removal commits). A new replica is therefore a voter only after it caught up,
 * and the group never shrinks below its target while replicas are being replaced.
 */
export function nextConfChange(g: RaftGroup, target: readonly number[]): ConfChange | undefined {
  const st = g.node.status();
  if (st.role !== 'leader' || target.length === 0) return undefined;
  const {voters, learners} = st.conf;
  const missing = target.find((id) => !voters.includes(id) && !learners.includes(id));
  if (missing !== undefined) return {type: 'addLearner', nodeId: missing};
  const ready = learners.find((id) => target.includes(id) && (st.progress?.get(id)?.match ?? 0) >= st.commit);
  if (ready !== undefined) return {type: 'promote', nodeId: ready};
  const strayLearner = learners.find((id) => !target.includes(id));
  if (strayLearner !== undefined) return {type: 'remove', nodeId: strayLearner};
  if (!target.every((id) => voters.includes(id))) return undefined;
  // remove others first; this broker last (it then hands leadership over)
  const stray = voters.filter((id) => !target.includes(id)).sort((a, b) => (a === st.id ? 1 : b === st.id ? -1 : a - b))[0];
  return stray === undefined ? undefined : {type: 'remove', nodeId: stray};
}

/** Proposes the next change if there is one; refusals (a change still pending, no commit in this term yet) wait. */
export function reconcile(g: RaftGroup, target: readonly number[], logger: Logger): boolean {
  const cc = nextConfChange(g, target);
  if (!cc) return false;
  try {
    g.proposeConfChange(cc);
    logger.info({group: g.gid, change: cc.type, node: cc.nodeId, target}, 'membership change proposed');
    return true;
  } catch (err) {
    logger.debug({err, group: g.gid, change: cc}, 'membership change not proposed yet');
    return false;
  }
}
