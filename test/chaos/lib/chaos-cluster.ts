import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {LocalCluster, sleep, until, type ClusterView} from '../../../src/bench/local-cluster.js';
import {SeededRandom} from '../../../src/util/random.js';
import {mountTmpfs, unmount} from '../faults/disk.js';
import {FaultProxy, type LinkFault} from './fault-proxy.js';

const SHIM = path.join(path.dirname(fileURLToPath(import.meta.url)), '../faults/clock-shim.mjs');

export interface ChaosClusterOptions {
  size: number;
  seed: number;
  /** Extra broker flags for every broker (the unsafe flags of the positive controls). */
  args?: string[];
  env?: Record<string, string>;
  /** Put each broker's data directory on its own tmpfs of this many bytes (disk-full faults). */
  tmpfsBytes?: number;
  /** Run every broker under this command (strace for the fsync audit); `id` names its trace file. */
  wrap?: (id: number) => string[];
}

/**
 * A LocalCluster with every path a fault can take: a FaultProxy in front of each broker's peer listener (the
 * brokers dial each other through them) and one in front of each client listener (the chaos clients' only way in),
 * a wall-clock offset file per broker read by the preloaded clock shim, and optionally a tmpfs per data directory.
 */
export class ChaosCluster {
  readonly peerProxies = new Map<number, FaultProxy>();
  readonly clientProxies = new Map<number, FaultProxy>();
  /** Bumped when a broker's data is wiped or damaged (its high watermark may then start again lower). */
  readonly incarnation = new Map<number, number>();
  /** Process starts per broker. */
  readonly lives = new Map<number, number>();
  readonly random: SeededRandom;
  /** Brokers that exited without being killed (a crash is a finding), with the end of their output. */
  readonly crashes: Array<{node: number; code: number | null; output: string}> = [];
  private readonly killing = new Set<number>();
  private constructor(
    readonly local: LocalCluster,
    readonly opts: ChaosClusterOptions,
    /** Per-broker flags added for its next starts (a rejoining broker's --peer-advertise). */
    private readonly extraArgs: Map<number, string[]>,
  ) {
    this.random = new SeededRandom(opts.seed ^ 0x5eed);
  }

  static async start(opts: ChaosClusterOptions): Promise<ChaosCluster> {
    const peer = new Map<number, FaultProxy>();
    const random = new SeededRandom(opts.seed);
    let clockDir = '';
    const mounted: string[] = [];
    const extra = new Map<number, string[]>();
    const local = await LocalCluster.start(opts.size, {
      args: (id) => [...(opts.args ?? []), ...(extra.get(id) ?? [])],
      env: {...opts.env},
      proxy: (id, target) => {
        const p = new FaultProxy(target, {peer: true, random});
        peer.set(id, p);
        return p;
      },
      nodeEnv: (id) => ({
        MQ_CHAOS_CLOCK_FILE: path.join(clockDir, `clock-${id}`),
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${SHIM}`.trim(),
      }),
      dataDir: (id, dir) => {
        clockDir = dir;
        const d = path.join(dir, `n${id}`);
        if (opts.tmpfsBytes) {
          mountTmpfs(d, opts.tmpfsBytes);
          mounted.push(d);
        }
        return d;
      },
      ...(opts.wrap ? {wrap: opts.wrap} : {}),
    }).catch((error: unknown) => {
      for (const d of mounted) unmount(d);
      throw error;
    });
    const c = new ChaosCluster(local, opts, extra);
    for (const [id, p] of peer) c.peerProxies.set(id, p);
    for (const n of local.nodes) c.watch(n.id);
    for (const n of local.nodes) {
      c.incarnation.set(n.id, 0);
      const proxy = new FaultProxy(() => Number(new URL(local.url(n.id)).port), {random});
      await proxy.listen(0);
      c.clientProxies.set(n.id, proxy);
    }
    return c;
  }

  /**
   * Per-link faults need to know who dialed each peer connection (FaultProxy reads it from the HELLO). Waits until
   * every broker pair is connected through an identified link; a transport whose HELLO the proxy cannot read fails here,
   * loudly, rather than letting partitions silently not happen.
   */
  async checkLinks(timeoutMs = 15_000): Promise<void> {
    const pairs = (this.ids.length * (this.ids.length - 1)) / 2;
    await until(
      () => {
        const unknown = [...this.peerProxies.values()].reduce((n, p) => n + p.unidentified, 0);
        if (unknown > 0) throw new Error(`${unknown} peer connection(s) with a HELLO the fault proxy cannot read: update helloFrom() for this transport version`);
        return [...this.peerProxies.values()].reduce((n, p) => n + p.dialers().filter((d) => d !== undefined).length, 0) >= pairs;
      },
      timeoutMs,
      'every broker pair connected through an identified link',
    );
  }

  get ids(): number[] {
    return this.local.nodes.map((n) => n.id);
  }

  /** Where chaos clients reach broker `id`: its client proxy (stays the same across restarts). */
  clientUrl(id: number): string {
    return `http://127.0.0.1:${this.clientProxies.get(id)!.port}`;
  }

  /** The broker's own URL, bypassing the proxy (for the final drain and the monitor), or undefined if it is down. */
  directUrl(id: number): string | undefined {
    const n = this.local.node(id);
    return n.process && !n.stopped ? n.process.url : undefined;
  }

  running(id: number): boolean {
    return this.local.node(id).process !== undefined;
  }

  paused(id: number): boolean {
    return this.local.node(id).stopped;
  }

  live(): number[] {
    return this.local.live().map((n) => n.id);
  }

  dataDir(id: number): string {
    return this.local.node(id).dataDir;
  }

  async view(id: number): Promise<ClusterView | undefined> {
    return this.directUrl(id) ? this.local.view(id).catch(() => undefined) : undefined;
  }

  /** The leader of a partition as the live brokers see it (the first that names one), 0 if none. */
  async leaderOf(topic: string, partition: number, exclude: number[] = []): Promise<number> {
    for (const id of this.live()) {
      if (exclude.includes(id)) continue;
      const v = await this.view(id);
      const l = v?.partitions.find((p) => p.topic === topic && p.partition === partition)?.leader ?? 0;
      if (l && !exclude.includes(l) && this.live().includes(l)) return l;
    }
    return 0;
  }

  async kill(id: number): Promise<void> {
    this.killing.add(id);
    try {
      await this.local.kill(id, 'SIGKILL');
    } finally {
      this.killing.delete(id);
    }
  }

  async restart(id: number): Promise<void> {
    if (this.running(id)) return;
    await this.local.startNode(id);
    this.lives.set(id, (this.lives.get(id) ?? 0) + 1);
    this.watch(id);
  }

  /**
   * Starts a broker whose data directory was wiped: it has no cluster state, so it joins through a live member
   * (`--join`, as an operator would) and advertises its fault proxy, so its peer traffic still goes through it.
   * Later restarts use --bootstrap again: by then its data directory holds the cluster's state.
   */
  async rejoin(id: number): Promise<void> {
    if (this.running(id)) return;
    const via = this.live().find((x) => x !== id);
    if (via === undefined) throw new Error(`no live broker for broker ${id} to join through`);
    const n = this.local.node(id);
    n.joinVia = this.directUrl(via)!;
    this.extraArgs.set(id, ['--peer-advertise', `127.0.0.1:${n.advertisedPeerPort}`]);
    try {
      await this.restart(id);
    } finally {
      n.joinVia = undefined;
    }
  }

  /** Notices a broker that exits on its own: it is recorded as a crash and counted as down. */
  private watch(id: number): void {
    const n = this.local.node(id);
    const p = n.process;
    if (!p) return;
    void p.exited.then((code) => {
      if (n.process !== p || this.killing.has(id)) return;
      const log = this.local.logs(id);
      this.crashes.push({node: id, code, output: `${p.output().slice(-1500)}\n--- log ---\n${log.slice(-3000)}`});
      n.process = undefined;
      n.stopped = false;
    });
  }

  pause(id: number): void {
    if (this.running(id) && !this.paused(id)) this.local.pause(id);
  }

  resume(id: number): void {
    if (this.running(id) && this.paused(id)) this.local.resume(id);
  }

  /** Cuts every link between brokers in different groups (both directions); brokers in no group keep all links. */
  partition(groups: number[][], fault: LinkFault = {kind: 'reset'}): void {
    const groupOf = new Map<number, number>();
    groups.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
    for (const a of this.ids) {
      for (const b of this.ids) {
        if (a === b || !groupOf.has(a) || !groupOf.has(b) || groupOf.get(a) === groupOf.get(b)) continue;
        this.peerProxies.get(b)!.set(a, [fault]);
      }
    }
  }

  /** Messages from `from` to `to` vanish; `to` still reaches `from`. */
  oneWay(from: number, to: number): void {
    this.peerProxies.get(to)!.set(from, [{kind: 'oneway', dir: 'in'}]);
    this.peerProxies.get(from)!.set(to, [{kind: 'oneway', dir: 'out'}]);
  }

  /** The same faults on every link between brokers. */
  allPeerLinks(faults: LinkFault[]): void {
    for (const p of this.peerProxies.values()) p.set('*', faults);
  }

  healNetwork(): void {
    for (const p of this.peerProxies.values()) p.clear();
    for (const p of this.clientProxies.values()) p.clear();
  }

  /** Shifts broker `id`'s wall clock by `offsetMs` from real time (0 puts it back). */
  setClock(id: number, offsetMs: number): void {
    fs.writeFileSync(path.join(this.local.dir, `clock-${id}`), String(offsetMs));
  }

  /** Everything back to normal: network healed, clocks true, stopped brokers continued, dead ones restarted. */
  async healAll(): Promise<void> {
    this.healNetwork();
    for (const id of this.ids) {
      this.setClock(id, 0);
      this.resume(id);
    }
    for (const id of this.ids) if (!this.running(id)) await this.restartWithRetry(id);
  }

  private async restartWithRetry(id: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.restart(id);
      } catch (error) {
        if (attempt >= 2) throw error;
        await sleep(500);
      }
    }
  }

  async waitForLeader(topic: string, partition: number, timeoutMs: number): Promise<number> {
    return until(() => this.leaderOf(topic, partition), timeoutMs, `a leader of ${topic}/${partition}`, 50);
  }

  /** Warnings and errors the brokers logged, counted by message (with the node ids that logged them). */
  logWarnings(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const id of this.ids) {
      for (const line of this.local.logs(id).split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const l = JSON.parse(line) as {level?: number; msg?: string; err?: {message?: string}};
          if ((l.level ?? 0) < 40) continue;
          const k = `${l.msg ?? '?'}${l.err?.message ? `: ${l.err.message.slice(0, 120)}` : ''}`;
          out[k] = (out[k] ?? 0) + 1;
        } catch {
          // a torn last line (kill -9)
        }
      }
    }
    return out;
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.clientProxies.values()].map((p) => p.close()));
    // the brokers go first, then their tmpfs mounts, then the directory (which cannot be removed while mounted)
    for (const id of this.ids) await this.kill(id).catch(() => undefined);
    if (this.opts.tmpfsBytes) for (const n of this.local.nodes) unmount(n.dataDir);
    await this.local.destroy().catch(() => undefined);
    fs.rmSync(this.local.dir, {recursive: true, force: true});
  }
}
