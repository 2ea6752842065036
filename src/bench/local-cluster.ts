import {spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {Agent, request} from 'undici';
import {tlsArgs, type LocalClusterTls} from './local-cluster-tls.js';
import {PeerProxy} from './peer-proxy.js';

export type {LocalClusterTls} from './local-cluster-tls.js';
export {PeerProxy} from './peer-proxy.js';

/** Fast Raft timings for tests: 50 ms ticks, heartbeat every 100 ms, elections after 500-1000 ms. */
export const FAST_TIMINGS = {MQ_RAFT_TICK_MS: '50', MQ_RAFT_ELECTION_TICKS: '10', MQ_RAFT_HEARTBEAT_TICKS: '2'};

/** The longest election timeout the timings give: electionTicks x 2 (randomised in [n, 2n)) x tick. */
export function electionTimeoutMaxMs(env: Record<string, string | undefined>): number {
  return Number(env.MQ_RAFT_TICK_MS ?? 100) * Number(env.MQ_RAFT_ELECTION_TICKS ?? 10) * 2;
}

/** The checkout this file belongs to (from src/bench or dist/src/bench): where bin/run.js is. */
function checkoutRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = path.dirname(dir)) if (fs.existsSync(path.join(dir, 'bin/run.js'))) return dir;
  return process.cwd();
}

/** How to run `mq`: the single executable in MQ_BIN, or this checkout's bin/run.js. */
export function mqCommand(): string[] {
  const bin = process.env.MQ_BIN;
  if (bin) return [path.resolve(bin)];
  return [process.execPath, path.join(checkoutRoot(), 'bin/run.js')];
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Polls until fn returns a truthy value. */
export async function until<T>(fn: () => T | Promise<T>, timeoutMs: number, what: string, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(intervalMs);
  }
}

/** Whether a TCP port on 127.0.0.1 can be bound right now. */
async function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A free TCP port for a peer listener. Picked below the kernel's ephemeral range (32768 and up on Linux), so that no
 * outgoing connection takes it between now and the broker binding it.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canBind(port)) return port;
  }
}

/** What LocalCluster needs of a proxy in front of a peer listener: PeerProxy, or a richer fault-injecting proxy. */
export interface NodeProxy {
  port: number;
  listen(port: number): Promise<void>;
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

export interface NodeProcess {
  url: string;
  pid: number;
  proc: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
}

export interface ClusterNode {
  id: number;
  dataDir: string;
  /** Where the broker listens for peers. */
  peerPort: number;
  /** With proxies: where the others dial it (the proxy); else peerPort. */
  advertisedPeerPort: number;
  proxy: NodeProxy | undefined;
  process: NodeProcess | undefined;
  stopped: boolean;
  /** Started with --join through this URL instead of --bootstrap. */
  joinVia?: string;
}

export interface ClusterView {
  cluster_id: string;
  node_id: number;
  metadata: {leader: number | null; leader_url: string | null; term: number; voters: number[]; learners: number[]};
  brokers: Array<{id: number; url: string | null; status: string}>;
  partitions: Array<{topic: string; partition: number; replicas: number[]; leader: number | null; leader_url: string | null; term: number | null}>;
}

export interface ReplicaView {
  node_id: number;
  role: string;
  term: number;
  high_watermark: number;
  next_offset: number;
  commit_index: number;
  messages: Array<{offset: number; term: number | null; id: string | null; crc: number; committed: boolean}>;
}

export interface LocalClusterOptions {
  args?: (id: number) => string[];
  env?: Record<string, string>;
  proxies?: boolean;
  /** Makes the proxy in front of a broker's peer listener (implies `proxies`); `target` is the listener's port. */
  proxy?: (id: number, target: () => number) => NodeProxy;
  /** Extra environment for one broker (after `env`). */
  nodeEnv?: (id: number) => Record<string, string>;
  /** Where a broker keeps its data (default `<dir>/n<id>`). */
  dataDir?: (id: number, dir: string) => string;
  /** A command the broker runs under (e.g. strace ...); the pid in the ready file is still the broker's. */
  wrap?: (id: number) => string[];
  /** TLS for every broker (default: none): PEM files, e.g. from `mq cert dev`. */
  tls?: LocalClusterTls;
}


/**
 * Real broker processes on this machine forming a cluster with --bootstrap: each with its own data directory, client
 * port 0 (read from its ready file) and a fixed peer port. Used by the cluster tests and the failover benchmark.
 */
export class LocalCluster {
  readonly nodes: ClusterNode[] = [];
  readonly dir: string;
  readonly secretFile: string;
  /** With `tls`: the CA's PEM text, for clients of the brokers (`new MqClient({url, ca})`). */
  readonly ca: string | undefined;
  /** The cluster's own requests (ready, view, replica) trust the CA. */
  private readonly dispatcher: Agent | undefined;

  private constructor(
    private readonly extraArgs: (id: number) => string[],
    readonly env: Record<string, string>,
    private readonly more: Pick<LocalClusterOptions, 'nodeEnv' | 'wrap' | 'tls'> = {},
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-cluster-'));
    this.secretFile = path.join(this.dir, 'cluster.secret');
    this.ca = more.tls ? fs.readFileSync(more.tls.ca, 'utf8') : undefined;
    this.dispatcher = this.ca ? new Agent({connect: {ca: this.ca}}) : undefined;
  }

  /** `proxies`: put a PeerProxy (or what `proxy` makes) in front of every peer listener (see partition()). */
  static async start(size: number, opts: LocalClusterOptions = {}): Promise<LocalCluster> {
    const c = new LocalCluster(opts.args ?? (() => []), {...FAST_TIMINGS, ...opts.env}, {nodeEnv: opts.nodeEnv, wrap: opts.wrap, tls: opts.tls});
    for (let id = 1; id <= size; id++) {
      const peerPort = await freePort();
      const dataDir = opts.dataDir?.(id, c.dir) ?? path.join(c.dir, `n${id}`);
      const node: ClusterNode = {id, dataDir, peerPort, advertisedPeerPort: peerPort, proxy: undefined, process: undefined, stopped: false};
      if (opts.proxies || opts.proxy) {
        node.proxy = opts.proxy ? opts.proxy(id, () => node.peerPort) : new PeerProxy(() => node.peerPort);
        node.advertisedPeerPort = await freePort();
        await node.proxy.listen(node.advertisedPeerPort);
      }
      c.nodes.push(node);
    }
    try {
      await Promise.all(c.nodes.map((n) => c.startNode(n.id)));
      await c.waitReady();
    } catch (error) {
      await c.destroy();
      throw error;
    }
    return c;
  }

  get bootstrap(): string {
    return this.nodes.map((n) => `${n.id}@127.0.0.1:${n.advertisedPeerPort}`).join(',');
  }

  node(id: number): ClusterNode {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no broker ${id}`);
    return n;
  }

  url(id: number): string {
    const p = this.node(id).process;
    if (!p) throw new Error(`broker ${id} is not running`);
    return p.url;
  }

  /** Running and not stopped: the brokers that can answer. */
  live(): ClusterNode[] {
    return this.nodes.filter((n) => n.process !== undefined && !n.stopped);
  }

  async startNode(id: number): Promise<NodeProcess> {
    const n = this.node(id);
    const readyFile = path.join(this.dir, `n${id}.ready`);
    fs.rmSync(readyFile, {force: true});
    const [cmd, ...pre] = [...(this.more.wrap?.(id) ?? []), ...mqCommand()];
    const args = [
      ...pre,
      'broker', 'start',
      '--node-id', String(id),
      '--data-dir', n.dataDir,
      '--listen', '127.0.0.1:0',
      '--peer-listen', `127.0.0.1:${n.peerPort}`,
      ...(n.joinVia ? ['--join', n.joinVia] : ['--bootstrap', this.bootstrap]),
      '--cluster-secret-file', this.secretFile,
      '--ready-file', readyFile,
      '--log-file', path.join(this.dir, `n${id}.log`),
      '--log-level', 'info',
      ...tlsArgs(this.more.tls),
      ...this.extraArgs(id),
    ];
    const proc = spawn(cmd!, args, {env: {...process.env, ...this.env, ...this.more.nodeEnv?.(id)}, stdio: ['ignore', 'pipe', 'pipe']});
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
    let dead = false;
    void exited.then(() => (dead = true));
    await until(
      () => {
        if (dead) throw new Error(`broker ${id} exited before it was ready:\n${out}`);
        return fs.existsSync(readyFile);
      },
      30_000,
      `broker ${id}'s ready file`,
    ).catch((error: unknown) => {
      proc.kill('SIGKILL');
      throw error;
    });
    const ready = JSON.parse(fs.readFileSync(readyFile, 'utf8')) as {url: string; pid: number};
    n.process = {url: ready.url, pid: ready.pid, proc, exited, output: () => out};
    n.stopped = false;
    return n.process;
  }

  /** kill -9 by default: the process is gone (restart it with startNode). */
  async kill(id: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const n = this.node(id);
    const p = n.process;
    if (!p) return;
    if (n.stopped) process.kill(p.pid, 'SIGCONT');
    process.kill(p.pid, signal);
    await p.exited;
    n.process = undefined;
    n.stopped = false;
  }

  /** SIGSTOP: the process keeps its sockets but answers nothing (a zombie, or a follower that fell silent). */
  pause(id: number): void {
    const n = this.node(id);
    process.kill(n.process!.pid, 'SIGSTOP');
    n.stopped = true;
  }

  resume(id: number): void {
    const n = this.node(id);
    process.kill(n.process!.pid, 'SIGCONT');
    n.stopped = false;
  }

  async waitReady(ids: number[] = this.live().map((n) => n.id), timeoutMs = 30_000): Promise<void> {
    await until(
      async () => {
        for (const id of ids) {
          const r = await request(`${this.url(id)}/ready`, {dispatcher: this.dispatcher});
          await r.body.dump();
          if (r.statusCode !== 200) return false;
        }
        return true;
      },
      timeoutMs,
      `brokers ${ids.join(', ')} ready`,
    );
  }

  async view(id: number): Promise<ClusterView> {
    const r = await request(`${this.url(id)}/v1/cluster`, {headersTimeout: 5000, bodyTimeout: 5000, dispatcher: this.dispatcher});
    return (await r.body.json()) as ClusterView;
  }

  /** A partition's leader as the given broker sees it (0 while there is none). */
  async leaderOf(topic: string, partition: number, via: number): Promise<number> {
    return (await this.view(via)).partitions.find((p) => p.topic === topic && p.partition === partition)?.leader ?? 0;
  }

  /** Everything one broker's replica holds, through the debug read (never forwarded). */
  async replica(id: number, topic: string, partition: number): Promise<ReplicaView> {
    const all: ReplicaView['messages'] = [];
    let first: ReplicaView | undefined;
    for (let from = 0; ; ) {
      const r = await request(`${this.url(id)}/v1/debug/replica/${topic}/${partition}?offset=${from}&max_messages=10000`, {dispatcher: this.dispatcher});
      const v = (await r.body.json()) as ReplicaView & {log_start_offset: number};
      if (!first) {
        first = v;
        if (from < v.log_start_offset) {
          from = v.log_start_offset;
          continue;
        }
      }
      all.push(...v.messages);
      if (v.messages.length === 0) break;
      from = v.messages[v.messages.length - 1]!.offset + 1;
      if (from >= v.next_offset) break;
    }
    return {...first!, messages: all};
  }

  /** Adds a broker that joins the running cluster through `via` (a member's client URL), and starts it. */
  async joinNode(id: number, via: string): Promise<NodeProcess> {
    const peerPort = await freePort();
    this.nodes.push({id, dataDir: path.join(this.dir, `n${id}`), peerPort, advertisedPeerPort: peerPort, proxy: undefined, process: undefined, stopped: false, joinVia: via});
    return this.startNode(id);
  }

  /** Cuts every peer connection (needs `proxies`): no broker hears any other until heal(). */
  partition(): void {
    for (const n of this.nodes) n.proxy!.cut();
  }

  heal(): void {
    for (const n of this.nodes) n.proxy!.heal();
  }

  /** Kills every broker (SIGKILL, after SIGCONT for paused ones) and removes the directory. */
  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.proxy?.close()));
    for (const n of this.nodes) {
      if (!n.process) continue;
      try {
        if (n.stopped) process.kill(n.process.pid, 'SIGCONT');
        process.kill(n.process.pid, 'SIGKILL');
      } catch {
        // gone already
      }
      await n.process.exited;
      n.process = undefined;
    }
    fs.rmSync(this.dir, {recursive: true, force: true});
    await this.dispatcher?.close();
  }

  logs(id: number): string {
    try {
      return fs.readFileSync(path.join(this.dir, `n${id}.log`), 'utf8');
    } catch {
      return '';
    }
  }
}
