import {
  MemoryStorage,
  RawNode,
  type Entry,
  type Message,
  type NodeId,
  type RaftConfigInput,
  type Ready,
} from '../../../src/cluster/raft/index.js';
import type {Random} from '../../../src/util/random.js';

export const MIN_RANDOM: Random = {next: () => 0, int: (min) => min};

/**
 * One RawNode driven by hand, for unit tests that craft messages: `step` feeds a message, `ready` carries out
 * the Ready (persisting it to `storage`) and returns it for inspection.
 */
export class TestNode {
  raw: RawNode;

  constructor(
    readonly storage: MemoryStorage,
    readonly cfg: Omit<RaftConfigInput, 'applied'>,
  ) {
    this.raw = new RawNode(cfg, storage);
  }

  static create(id: NodeId, voters: NodeId[], opts: Partial<RaftConfigInput> = {}): TestNode {
    return new TestNode(MemoryStorage.bootstrap({voters, learners: []}), {id, random: MIN_RANDOM, checkQuorum: false, ...opts});
  }

  step(m: Message): this {
    this.raw.step(m);
    return this;
  }

  tick(n = 1): this {
    for (let i = 0; i < n; i++) this.raw.tick();
    return this;
  }

  /** Carries out the pending Ready and returns it; throws when there is none. */
  ready(): Ready {
    if (!this.raw.hasReady()) throw new Error(`node ${this.cfg.id} has no Ready`);
    const rd = this.raw.ready();
    if (rd.snapshot) this.storage.applySnapshot(rd.snapshot);
    this.storage.append(rd.entries);
    if (rd.hardState) this.storage.setHardState(rd.hardState);
    this.raw.advance();
    return rd;
  }

  /** Messages of the pending Ready (none if there is none), after carrying it out. */
  messages(): Message[] {
    return this.raw.hasReady() ? [...this.ready().messages] : [];
  }

  restart(): this {
    this.raw = new RawNode({...this.cfg, applied: this.storage.snapshot().metadata.index}, this.storage);
    return this;
  }
}

/** Builds entries of the given terms at consecutive indexes starting at `first`. */
export function entries(first: number, terms: number[], type: Entry['type'] = 'normal'): Entry[] {
  return terms.map((term, i) => ({index: first + i, term, type, data: new TextEncoder().encode(`e${first + i}`)}));
}

/** A storage whose log after the bootstrap snapshot (1/1) holds entries with these terms (from index 2). */
export function storageWithLog(voters: NodeId[], terms: number[], hardTerm: number): MemoryStorage {
  const s = MemoryStorage.bootstrap({voters, learners: []});
  s.append(entries(2, terms));
  s.setHardState({term: hardTerm, vote: 0, commit: 1});
  return s;
}

export function append(from: NodeId, to: NodeId, term: number, prev: [number, number], ents: Entry[], commit: number): Message {
  return {type: 'append', from, to, term, prevLogIndex: prev[0], prevLogTerm: prev[1], entries: ents, commit};
}

export function vote(from: NodeId, to: NodeId, term: number, last: [number, number], type: 'vote' | 'preVote' = 'vote'): Message {
  return {type, from, to, term, lastLogIndex: last[0], lastLogTerm: last[1], transfer: false};
}
