import {
  MemoryStorage,
  RawNode,
  type ConfChangeType,
  type Entry,
  type Message,
  type NodeId,
  type RaftConfigInput,
  type Ready,
  type StateRole,
} from '../../../src/cluster/raft/index.js';
import type {Random} from '../../../src/util/random.js';
import {parseCommand, type Command} from './datadriven.js';
import {fmtEntries, fmtEntry, fmtMessage, fmtReady} from './format.js';

const CONF_CHANGE_TYPES: Record<string, ConfChangeType> = {'add-learner': 'addLearner', promote: 'promote', remove: 'remove'};

/** Every randomized election timeout is the minimum, so a script knows exactly when a node campaigns. */
const MIN_RANDOM: Random = {next: () => 0, int: (min) => min};

interface Node {
  readonly id: NodeId;
  readonly storage: MemoryStorage;
  readonly cfg: Omit<RaftConfigInput, 'applied'>;
  raw: RawNode | undefined;
  role: StateRole;
  /** The state machine: every applied entry, as text. */
  applied: {index: number; text: string}[];
}

/**
 * A cluster driven by a script: nothing happens unless a command says so. Drivers follow the persistence
 * contract (persist, then send, then apply); messages wait in one FIFO until delivered, dropped at delivery if
 * the link is cut or the target is down.
 */
export class ScenarioCluster {
  private readonly nodes = new Map<NodeId, Node>();
  private inflight: Message[] = [];
  private readonly cut = new Set<string>();

  /** Runs one scenario command line, e.g. `cluster.exec('campaign 1')`. */
  exec(line: string): string[] {
    return this.run(parseCommand(line));
  }

  rawNode(id: NodeId): RawNode {
    const raw = this.node(id).raw;
    if (raw === undefined) throw new Error(`node ${id} is down`);
    return raw;
  }

  storage(id: NodeId): MemoryStorage {
    return this.node(id).storage;
  }

  appliedTexts(id: NodeId): string[] {
    return this.node(id).applied.map((a) => a.text);
  }

  run(c: Command): string[] {
    const id = () => this.node(Number(c.positional[0]));
    switch (c.name) {
      case 'add-nodes':
        return this.addNodes(c);
      case 'campaign':
        id().raw!.campaign();
        return [];
      case 'tick':
        return this.tick(id(), Number(c.positional[1] ?? 1));
      case 'tick-election':
        return this.tick(id(), Number(id().cfg.electionTimeoutTicks ?? 10));
      case 'tick-heartbeat':
        return this.tick(id(), Number(id().cfg.heartbeatIntervalTicks ?? 1));
      case 'propose':
        return this.propose(id(), c.positional.slice(1));
      case 'propose-conf-change':
        return this.proposeConfChange(id(), CONF_CHANGE_TYPES[c.positional[1]!]!, Number(c.positional[2]));
      case 'transfer-leadership':
        return [id().raw!.transferLeadership(Number(c.positional[1])) ? 'transfer started' : 'transfer refused'];
      case 'stabilize':
        return this.stabilize();
      case 'process-ready':
        return this.processReady(id());
      case 'deliver-msgs':
        return this.deliver(
          c.positional[0] === undefined ? undefined : Number(c.positional[0]),
          c.options.get('drop') === 'true',
          c.options.has('from') ? Number(c.options.get('from')) : undefined,
        );
      case 'partition':
        return this.partition(c.positional.join(' '));
      case 'cut':
        this.cut.add(`${c.positional[0]}->${c.positional[1]}`);
        return [];
      case 'heal':
        this.cut.clear();
        return [];
      case 'crash':
        id().raw = undefined;
        return [];
      case 'restart':
        return this.restart(id());
      case 'compact':
        return this.compact(id(), Number(c.positional[1]));
      case 'raft-state':
        return [...this.nodes.values()].map((n) => this.stateLine(n));
      case 'raft-log':
        return this.log(id());
      case 'status':
        return this.progress(id());
      case 'applied':
        return [id().applied.map((a) => a.text).join(' ') || '(nothing)'];
      default:
        throw new Error(`unknown command ${c.name}`);
    }
  }

  private node(id: NodeId): Node {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  private addNodes(c: Command): string[] {
    const count = Number(c.positional[0]);
    const first = this.nodes.size + 1;
    const ids = Array.from({length: count}, (_, i) => first + i);
    const list = (k: string, dflt: number[]) => (c.options.get(k)?.split(',').filter(Boolean).map(Number) ?? dflt);
    const voters = list('voters', ids);
    const learners = list('learners', []);
    const flag = (k: string, dflt: boolean) => (c.options.has(k) ? c.options.get(k) === 'true' : dflt);
    const num = (k: string, dflt: number) => Number(c.options.get(k) ?? dflt);
    for (const id of ids) {
      const storage = c.positional.includes('join') ? new MemoryStorage() : MemoryStorage.bootstrap({voters, learners});
      const cfg = {
        id,
        random: MIN_RANDOM,
        electionTimeoutTicks: num('election', 10),
        heartbeatIntervalTicks: num('heartbeat', 1),
        preVote: flag('prevote', true),
        checkQuorum: flag('checkquorum', false),
        maxInflightMsgs: num('inflight', 256),
        maxMsgBytes: num('msgbytes', 1 << 20),
      };
      const n: Node = {id, storage, cfg, raw: undefined, role: 'follower', applied: []};
      this.nodes.set(id, n);
      this.restart(n);
    }
    return [...ids.map((id) => this.stateLine(this.node(id)))];
  }

  private restart(n: Node): string[] {
    const snap = n.storage.snapshot();
    n.applied = machineState(snap.data);
    n.raw = new RawNode({...n.cfg, applied: snap.metadata.index}, n.storage);
    n.role = 'follower';
    return [];
  }

  private tick(n: Node, count: number): string[] {
    for (let i = 0; i < count; i++) n.raw!.tick();
    return [];
  }

  private propose(n: Node, words: string[]): string[] {
    const datas = words.map((w) => new TextEncoder().encode(w));
    const r = datas.length === 1 ? n.raw!.propose(datas[0]!) : n.raw!.proposeBatch(datas);
    return [r.ok ? `proposed at ${r.index}/${r.term}` : `refused: ${r.reason}`];
  }

  private proposeConfChange(n: Node, type: ConfChangeType, nodeId: NodeId): string[] {
    const r = n.raw!.proposeConfChange({type, nodeId});
    return [r.ok ? `proposed at ${r.index}/${r.term}` : `refused: ${r.reason}`];
  }

  private stabilize(): string[] {
    const out: string[] = [];
    for (;;) {
      let progressed = false;
      for (const n of this.nodes.values()) {
        while (n.raw?.hasReady()) {
          out.push(...this.processReady(n));
          progressed = true;
        }
      }
      if (this.inflight.length > 0) {
        out.push(...this.deliver(undefined, false));
        progressed = true;
      }
      if (!progressed) return out;
    }
  }

  private processReady(n: Node): string[] {
    const raw = n.raw!;
    if (!raw.hasReady()) return [];
    const rd: Ready = raw.ready();
    const out = fmtReady(n.id, rd, rd.softState.role !== n.role);
    n.role = rd.softState.role;
    if (rd.snapshot) n.storage.applySnapshot(rd.snapshot);
    n.storage.append(rd.entries);
    if (rd.hardState) n.storage.setHardState(rd.hardState);
    this.inflight.push(...rd.messages);
    if (rd.snapshot) n.applied = machineState(rd.snapshot.data);
    for (const e of rd.committedEntries) n.applied.push({index: e.index, text: entryText(e)});
    raw.advance();
    return out;
  }

  /** Delivers (or drops) the in-flight messages to `to` (all when undefined), optionally only those from `from`. */
  private deliver(to: NodeId | undefined, drop: boolean, from?: NodeId): string[] {
    const out: string[] = [];
    const selected = (m: Message) => (to === undefined || m.to === to) && (from === undefined || m.from === from);
    const now = this.inflight.filter(selected);
    this.inflight = this.inflight.filter((m) => !selected(m));
    for (const m of now) {
      const target = this.nodes.get(m.to)?.raw;
      if (drop || target === undefined || this.cut.has(`${m.from}->${m.to}`)) out.push(`  dropped ${fmtMessage(m)}`);
      else target.step(m);
    }
    return out;
  }

  private partition(spec: string): string[] {
    const [a, b] = spec.split('|').map((side) => side.trim().split(/[\s,]+/).filter(Boolean));
    for (const x of a!) for (const y of b!) {
      this.cut.add(`${x}->${y}`);
      this.cut.add(`${y}->${x}`);
    }
    return [];
  }

  private compact(n: Node, index: number): string[] {
    const data = new TextEncoder().encode(JSON.stringify(n.applied.filter((a) => a.index <= index)));
    n.storage.createSnapshot(index, n.raw!.confStateAt(index), data);
    n.storage.compact(index);
    return [`${n.id}: snapshot at ${index}, log now ${n.storage.firstIndex()}..${n.storage.lastIndex()}`];
  }

  private stateLine(n: Node): string {
    const st = n.raw?.status();
    if (st === undefined) return `${n.id}: down`;
    const conf = `voters=(${st.conf.voters.join(',')})${st.conf.learners.length ? ` learners=(${st.conf.learners.join(',')})` : ''}`;
    return `${n.id}: ${st.role} term=${st.term} lead=${st.leader} commit=${st.commit} applied=${st.applied} last=${st.lastIndex}/${st.lastTerm} ${conf}`;
  }

  private log(n: Node): string[] {
    const s = n.storage;
    const snap = s.snapshot().metadata;
    const ents = s.lastIndex() >= s.firstIndex() ? s.entries(s.firstIndex(), s.lastIndex() + 1, Number.POSITIVE_INFINITY) : [];
    return [`snapshot ${snap.index}/${snap.term}; entries ${fmtEntries(ents)}`];
  }

  private progress(n: Node): string[] {
    const pr = n.raw?.status().progress;
    if (pr === undefined) return [`${n.id}: not the leader`];
    return [...pr].map(([id, p]) => `${id}: ${p.state} match=${p.match} next=${p.next}${p.isLearner ? ' learner' : ''}`);
  }
}

/** Snapshots hold the applied list as JSON; the bootstrap snapshot holds nothing. */
function machineState(data: Uint8Array): {index: number; text: string}[] {
  return data.length === 0 ? [] : JSON.parse(new TextDecoder().decode(data));
}

function entryText(e: Entry): string {
  return e.type === 'normal' ? new TextDecoder().decode(e.data) : fmtEntry(e).split(' ').slice(1).join(' ');
}
