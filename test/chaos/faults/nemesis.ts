import {sleep} from '../../../src/bench/local-cluster.js';
import {SeededRandom} from '../../../src/util/random.js';
import type {ChaosCluster} from '../lib/chaos-cluster.js';
import type {History} from '../lib/history.js';
import type {Http} from '../lib/http.js';
import {fillDisk, flipBits, freeDisk, truncateWal, wipe} from './disk.js';
import type {Step} from './schedule.js';

export interface NemesisFigures {
  faults: number;
  /** Per fault that took a leader away: ms from the fault until a surviving broker named a new leader. */
  failoverMs: number[];
  /** Faults that could not be applied (no leader at the time, nothing to damage...), with why. */
  skipped: string[];
  /** Disk damage done (bit flips, bytes cut from a WAL). */
  damage: string[];
}

/**
 * Runs a schedule of faults against the cluster, one at a time, each healed at the end of its step. Targets are
 * resolved when a step starts (`leader` is the leader of the focus partition then) and recorded in the history as
 * `nemesis` events, so a run can be read back with what hit whom.
 */
export class Nemesis {
  readonly figures: NemesisFigures = {faults: 0, failoverMs: [], skipped: [], damage: []};
  private stopped = false;
  private readonly random: SeededRandom;

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly history: History,
    private readonly http: Http,
    private readonly focus: {topic: string; partition: number},
    seed: number,
    private readonly downMs: [number, number] = [500, 3000],
  ) {
    this.random = new SeededRandom(seed ^ 0xfa17);
  }

  stop(): void {
    this.stopped = true;
  }

  async run(steps: readonly Step[], t0: number): Promise<void> {
    for (const step of steps) {
      const wait = t0 + step.atMs - performance.now();
      if (wait > 0) await this.sleep(wait);
      if (this.stopped) return;
      try {
        await this.apply(step);
      } catch (error) {
        this.figures.skipped.push(`${step.kind}: ${(error as Error).message}`);
        this.history.event('nemesis', {kind: step.kind, phase: 'error', message: (error as Error).message});
        await this.cluster.healAll().catch(() => undefined);
      }
    }
  }

  private async sleep(ms: number): Promise<void> {
    const end = performance.now() + ms;
    while (!this.stopped && performance.now() < end) await sleep(Math.min(100, end - performance.now()));
  }

  private note(kind: string, phase: string, extra: Record<string, unknown> = {}): void {
    this.history.event('nemesis', {kind, phase, ...extra});
  }

  private async leader(): Promise<number> {
    return this.cluster.leaderOf(this.focus.topic, this.focus.partition);
  }

  private pickOther(not: number): number {
    const others = this.cluster.ids.filter((id) => id !== not);
    return others[this.random.int(0, others.length - 1)]!;
  }

  /** Waits until a broker other than `old` is named leader by a survivor; records the time since `t`. */
  private async failover(old: number, t: number, timeoutMs = 30_000): Promise<void> {
    while (performance.now() - t < timeoutMs && !this.stopped) {
      const l = await this.cluster.leaderOf(this.focus.topic, this.focus.partition, [old]);
      if (l && l !== old) {
        this.figures.failoverMs.push(Math.round(performance.now() - t));
        return;
      }
      await sleep(10);
    }
  }

  private async apply(s: Step): Promise<void> {
    const c = this.cluster;
    const leader = await this.leader();
    const needsLeader = ['kill-leader', 'kill-follower', 'pause-leader', 'pause-follower', 'isolate-leader', 'oneway-leader', 'clock-jump', 'bitflip', 'truncate-wal', 'wipe', 'isolate-then-kill-leader'];
    if (needsLeader.includes(s.kind) && !leader) {
      this.figures.skipped.push(`${s.kind}: no leader`);
      return;
    }
    const follower = leader ? this.pickOther(leader) : 0;
    this.figures.faults++;
    const t = performance.now();
    switch (s.kind) {
      case 'kill-leader':
      case 'kill-follower': {
        const victim = s.kind === 'kill-leader' ? leader : follower;
        this.note(s.kind, 'start', {node: victim});
        await c.kill(victim);
        if (s.kind === 'kill-leader') await this.failover(victim, t);
        await this.sleep(Math.max(0, s.durationMs - (performance.now() - t)));
        await c.restart(victim);
        break;
      }
      case 'kill-all': {
        this.note(s.kind, 'start', {nodes: c.ids});
        await Promise.all(c.ids.map((id) => c.kill(id)));
        await this.sleep(s.durationMs);
        await Promise.all(c.ids.map((id) => c.restart(id)));
        break;
      }
      case 'pause-leader':
      case 'pause-follower': {
        const victim = s.kind === 'pause-leader' ? leader : follower;
        this.note(s.kind, 'start', {node: victim});
        c.pause(victim);
        if (s.kind === 'pause-leader') await this.failover(victim, t);
        await this.sleep(Math.max(0, s.durationMs - (performance.now() - t)));
        c.resume(victim);
        break;
      }
      case 'isolate-leader': {
        this.note(s.kind, 'start', {node: leader});
        c.partition([[leader], c.ids.filter((id) => id !== leader)], {kind: s.choice < 0.5 ? 'reset' : 'blackhole'});
        await this.failover(leader, t);
        await this.sleep(Math.max(0, s.durationMs - (performance.now() - t)));
        c.healNetwork();
        break;
      }
      case 'partition-random': {
        const ids = [...c.ids].sort(() => this.random.next() - 0.5);
        const groups = s.choice < 0.5 ? [[ids[0]!], ids.slice(1)] : [[ids[0]!, ids[1]!], [ids[1]!, ids[2]!]];
        // a "bridge" ([a,b],[b,c]) cuts a-c only: b hears both sides
        this.note(s.kind, 'start', {groups});
        if (groups[0]!.length === 2) c.partition([[ids[0]!], [ids[2]!]], {kind: 'blackhole'});
        else c.partition(groups, {kind: 'blackhole'});
        await this.sleep(s.durationMs);
        c.healNetwork();
        break;
      }
      case 'oneway-leader': {
        const out = s.choice < 0.5;
        this.note(s.kind, 'start', {node: leader, direction: out ? 'leader cannot send' : 'leader cannot hear'});
        for (const f of c.ids.filter((id) => id !== leader)) out ? c.oneWay(leader, f) : c.oneWay(f, leader);
        await this.sleep(s.durationMs);
        c.healNetwork();
        break;
      }
      case 'peer-delay':
      case 'peer-flaky': {
        const faults = s.kind === 'peer-delay' ? [{kind: 'delay' as const, ms: 20 + Math.round(s.choice * 80), jitterMs: 100}] : [{kind: 'flaky' as const, p: 0.02, dir: 'both' as const}];
        this.note(s.kind, 'start', {faults});
        c.allPeerLinks(faults);
        await this.sleep(s.durationMs);
        c.healNetwork();
        break;
      }
      case 'client-flaky': {
        this.note(s.kind, 'start', {p: 0.1});
        for (const p of c.clientProxies.values()) p.set('*', [{kind: 'flaky', p: 0.1, dir: 'out'}]);
        await this.sleep(s.durationMs);
        c.healNetwork();
        break;
      }
      case 'client-blackhole': {
        const victim = c.ids[this.random.int(0, c.ids.length - 1)]!;
        this.note(s.kind, 'start', {node: victim});
        c.clientProxies.get(victim)!.set('*', [{kind: 'blackhole'}]);
        await this.sleep(s.durationMs);
        c.healNetwork();
        break;
      }
      case 'clock-jump': {
        // the leader's wall clock jumps (either way, 10 min to 1 h), then it is killed: a failover across skewed clocks
        const jumpMs = Math.round((s.choice < 0.5 ? -1 : 1) * (600_000 + ((s.choice * 2) % 1) * 3_000_000));
        this.note(s.kind, 'start', {node: leader, jumpMs});
        c.setClock(leader, jumpMs);
        await this.sleep(Math.min(1000, s.durationMs / 3));
        const t2 = performance.now();
        await c.kill(leader);
        await this.failover(leader, t2);
        await this.sleep(Math.max(0, s.durationMs - (performance.now() - t)));
        await c.restart(leader);
        await this.sleep(1000);
        c.setClock(leader, 0);
        break;
      }
      case 'disk-full': {
        const victim = leader || c.ids[0]!;
        this.note(s.kind, 'start', {node: victim});
        const bytes = fillDisk(c.dataDir(victim));
        this.figures.damage.push(`disk of broker ${victim} filled (${bytes} bytes of ballast)`);
        await this.sleep(s.durationMs);
        freeDisk(c.dataDir(victim));
        // a broker that died of it comes back
        if (!c.running(victim)) await c.restart(victim);
        break;
      }
      case 'bitflip':
      case 'truncate-wal':
      case 'wipe': {
        await this.damage(s, follower);
        break;
      }
      case 'isolate-then-kill-leader': {
        this.note(s.kind, 'start', {node: leader});
        c.partition([[leader], c.ids.filter((id) => id !== leader)], {kind: 'reset'});
        await sleep(400);
        await c.kill(leader);
        c.healNetwork();
        await this.failover(leader, t);
        await this.sleep(Math.max(0, s.durationMs - (performance.now() - t)));
        await c.restart(leader);
        break;
      }
    }
    this.note(s.kind, 'end', {ms: Math.round(performance.now() - t)});
  }

  /** Damage on a stopped follower: bit flips in a stored value, a cut WAL, or no data at all; then it restarts. */
  private async damage(s: Step, victim: number): Promise<void> {
    const c = this.cluster;
    let marker: string | undefined;
    if (s.kind === 'bitflip') {
      // a message the victim holds and has committed: its value text is `{"id":"<id>",...`
      const url = c.directUrl(victim);
      const r = url ? await this.http.request(url, 'GET', `/v1/debug/replica/${this.focus.topic}/${this.focus.partition}?max_messages=2000`, {timeoutMs: 3000}) : undefined;
      const msgs = ((r?.body?.messages ?? []) as Array<{id: string | null; committed: boolean}>).filter((m) => m.committed && m.id);
      if (msgs.length === 0) {
        this.figures.skipped.push(`${s.kind}: broker ${victim} holds no committed message yet`);
        return;
      }
      marker = `"id":${JSON.stringify(msgs[this.random.int(0, msgs.length - 1)]!.id)}`;
    }
    this.note(s.kind, 'start', {node: victim, ...(marker ? {marker} : {})});
    await c.kill(victim);
    const dir = c.dataDir(victim);
    if (s.kind === 'bitflip') {
      const flips = flipBits(dir, marker!, this.random);
      this.figures.damage.push(`broker ${victim}: ${flips.length} bit(s) flipped in ${marker} (${flips.map((f) => `${f.file}@${f.offset}`).join(', ')})`);
    } else if (s.kind === 'truncate-wal') {
      const cut = truncateWal(dir, 0.5);
      this.figures.damage.push(`broker ${victim}: ${cut} bytes cut from the end of its WAL`);
    } else {
      wipe(dir);
      this.figures.damage.push(`broker ${victim}: data directory wiped`);
    }
    // a damaged replica must drop what it cannot trust and re-sync, so its high watermark may start lower: like a
    // wiped one, it begins a new incarnation (what it serves is still checked against the committed log)
    c.incarnation.set(victim, (c.incarnation.get(victim) ?? 0) + 1);
    await this.sleep(Math.min(1000, s.durationMs));
    if (s.kind === 'wipe') await c.rejoin(victim);
    else await c.restart(victim);
    await this.sleep(Math.max(0, s.durationMs - 1000));
  }
}
