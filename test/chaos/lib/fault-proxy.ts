import net from 'node:net';
import type {Random} from '../../../src/util/random.js';

/**
 * A TCP proxy that injects network faults, in front of a broker's peer listener (the address the other brokers dial,
 * as listed in --bootstrap) or its client listener (the address the chaos clients use). It is LocalCluster's
 * PeerProxy grown into a fault injector: `cut()`/`heal()` keep PeerProxy's meaning.
 *
 * Faults are rules per link. On a peer proxy the link is known from the dialer's HELLO frame (the transport's
 * handshake: `[u32 length][u8 type=1][uvarint protocol][string cluster id][uvarint from]...` in protocol 1, with
 * `[uvarint 0][uvarint min][uvarint max]` before the version in protocol 2), so a partition can cut broker 1 from
 * broker 3 and leave broker 2 alone. A peer connection whose dialer cannot be read is counted in `unidentified`:
 * per-link faults would miss it, so a run refuses to start with one (see ChaosCluster.checkLinks). `in` is the direction
 * towards the proxied broker, `out` the answers coming back.
 *
 * - `blackhole`: bytes vanish (the connection stays open, as when packets are dropped on the wire);
 * - `reset`: connections are reset, new ones accepted and reset at once;
 * - `delay`: every chunk is held `ms` (plus up to `jitterMs`), in order;
 * - `oneway`: bytes in one direction vanish, the other way works (an asymmetric partition);
 * - `flaky`: each chunk in the given direction resets the connection with probability `p` (a client proxy with
 *   `dir: 'out'` cuts connections after the broker has answered and before the client hears it).
 * Bytes are never dropped from the middle of a stream that keeps going: TCP cannot do that, so neither does this.
 */
export type LinkFault =
  | {kind: 'blackhole'}
  | {kind: 'reset'}
  | {kind: 'delay'; ms: number; jitterMs?: number}
  | {kind: 'oneway'; dir: 'in' | 'out'}
  | {kind: 'flaky'; p: number; dir: 'in' | 'out' | 'both'};

/** Any dialer, or a peer's node id. */
export type LinkFrom = number | '*';

interface Conn {
  client: net.Socket;
  upstream: net.Socket;
  from: number | undefined;
  /** Chunks from the client held until the dialer is known (peer proxies only). */
  sniff: Buffer[];
  sniffing: boolean;
  /** When the last delayed chunk in each direction goes out, so that delays keep order. */
  dueIn: number;
  dueOut: number;
}

const HELLO = 1;
const SNIFF_BYTES_MAX = 4096;

/** The dialer's node id from the start of a HELLO frame; undefined if it is not one, null if more bytes are needed. */
export function helloFrom(buf: Buffer): number | undefined | null {
  if (buf.length < 5) return null;
  if (buf[4] !== HELLO) return undefined;
  let pos = 5;
  const uvarint = (): number | null => {
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= buf.length) return null;
      const b = buf[pos++]!;
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
    }
    return null;
  };
  const first = uvarint();
  if (first === null) return null;
  // protocol 2 negotiates: NEGOTIATE (0), the dialer's version range, then the version, before the common fields
  if (first === 0) for (let i = 0; i < 3; i++) if (uvarint() === null) return null;
  const idLen = uvarint();
  if (idLen === null) return null;
  pos += idLen;
  const from = uvarint();
  return from === null ? (buf.length > SNIFF_BYTES_MAX ? undefined : null) : from;
}

export class FaultProxy {
  private readonly server: net.Server;
  private readonly conns = new Set<Conn>();
  private readonly rules = new Map<LinkFrom, LinkFault[]>();
  port = 0;
  /** Counters for reports: connections reset by a fault, chunks swallowed. */
  resets = 0;
  swallowed = 0;
  unidentified = 0;

  constructor(
    private readonly target: () => number,
    private readonly opts: {peer?: boolean; random?: Random} = {},
  ) {
    this.server = net.createServer((client) => this.accept(client));
  }

  async listen(port = 0): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  /** The dialers of the open connections (undefined: not known), for tests and reports. */
  dialers(): Array<number | undefined> {
    return [...this.conns].map((c) => c.from);
  }

  /** Replaces the faults on the link from `from` (every dialer with '*'). */
  set(from: LinkFrom, faults: LinkFault[]): void {
    if (faults.length === 0) this.rules.delete(from);
    else this.rules.set(from, faults);
    for (const c of [...this.conns]) if (this.faultsOf(c).some((f) => f.kind === 'reset')) this.reset(c);
  }

  clear(): void {
    this.rules.clear();
  }

  /** PeerProxy's partition: every connection dropped, new ones refused, until heal(). */
  cut(): void {
    this.set('*', [{kind: 'reset'}]);
  }

  heal(): void {
    this.clear();
  }

  async close(): Promise<void> {
    this.rules.clear();
    for (const c of [...this.conns]) this.reset(c);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private faultsOf(c: Conn): LinkFault[] {
    const any = this.rules.get('*') ?? [];
    return c.from === undefined ? any : [...any, ...(this.rules.get(c.from) ?? [])];
  }

  private accept(client: net.Socket): void {
    let port: number;
    try {
      port = this.target();
    } catch {
      // the broker behind this proxy is down: its port is refused, as a connection to it would be
      return void client.resetAndDestroy();
    }
    const upstream = net.connect(port, '127.0.0.1');
    const c: Conn = {client, upstream, from: undefined, sniff: [], sniffing: this.opts.peer === true, dueIn: 0, dueOut: 0};
    this.conns.add(c);
    const drop = (): void => {
      this.conns.delete(c);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      s.on('error', drop);
      s.on('close', drop);
    }
    client.on('data', (chunk: Buffer) => {
      if (c.sniffing) {
        c.sniff.push(chunk);
        const from = helloFrom(Buffer.concat(c.sniff));
        if (from === null) return;
        c.from = from ?? undefined;
        if (from === undefined) this.unidentified++;
        c.sniffing = false;
        chunk = Buffer.concat(c.sniff);
        c.sniff = [];
        if (this.faultsOf(c).some((f) => f.kind === 'reset')) return this.reset(c);
      }
      this.pass(c, 'in', chunk);
    });
    upstream.on('data', (chunk: Buffer) => this.pass(c, 'out', chunk));
    if (this.faultsOf(c).some((f) => f.kind === 'reset')) this.reset(c);
  }

  private reset(c: Conn): void {
    this.resets++;
    this.conns.delete(c);
    c.client.resetAndDestroy();
    c.upstream.resetAndDestroy();
  }

  private pass(c: Conn, dir: 'in' | 'out', chunk: Buffer): void {
    let delayMs = 0;
    for (const f of this.faultsOf(c)) {
      if (f.kind === 'reset') return this.reset(c);
      if (f.kind === 'blackhole' || (f.kind === 'oneway' && f.dir === dir)) {
        this.swallowed++;
        return;
      }
      if (f.kind === 'flaky' && (f.dir === dir || f.dir === 'both') && this.rand() < f.p) return this.reset(c);
      if (f.kind === 'delay') delayMs += f.ms + (f.jitterMs ? this.rand() * f.jitterMs : 0);
    }
    const to = dir === 'in' ? c.upstream : c.client;
    if (delayMs === 0 && (dir === 'in' ? c.dueIn : c.dueOut) <= performance.now()) return void to.write(chunk);
    const due = Math.max(performance.now() + delayMs, dir === 'in' ? c.dueIn : c.dueOut);
    if (dir === 'in') c.dueIn = due;
    else c.dueOut = due;
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, due - performance.now());
  }

  private rand(): number {
    return this.opts.random ? this.opts.random.next() : Math.random();
  }
}
