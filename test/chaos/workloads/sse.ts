import http from 'node:http';
import type {SseConnectReq, SseEvent} from '../lib/model.js';
import type {WorkloadContext} from './context.js';
import {parsePositions} from '../checkers/sse.js';

export interface SseWorkloadOptions {
  topic: string;
  readers: number;
  /** Readers that stop reading for seconds at a time (their socket fills up: the broker must hold only a page). */
  slowReaders: number;
  heartbeatMs: number;
}

/** One SSE reader's state: its connections so far, where it is in each partition, its last event id. */
export class SseReader {
  lastEventId: string | null = null;
  readonly next = new Map<number, number>();
  private req: http.ClientRequest | undefined;

  constructor(
    readonly reader: number,
    private readonly connOwner: Map<number, number>,
  ) {}

  /** Reads one connection until it ends, fails or goes silent for three heartbeats. */
  async connectOnce(ctx: WorkloadContext, o: SseWorkloadOptions, node: number, conn: number, slow: boolean): Promise<void> {
    this.connOwner.set(conn, this.reader);
    const p = ctx.history.process();
    const req: SseConnectReq = {conn, lastEventId: this.lastEventId};
    ctx.history.invoke(p, 'sse-connect', req, node);
    const url = `${ctx.cluster.clientUrl(node)}/v1/topics/${o.topic}/stream?heartbeat_ms=${o.heartbeatMs}`;
    const headers: Record<string, string> = {accept: 'text/event-stream', ...(this.lastEventId ? {'last-event-id': this.lastEventId} : {})};
    await new Promise<void>((resolve) => {
      let completed = false;
      const complete = (type: 'ok' | 'fail' | 'info', value?: unknown, code?: string): void => {
        if (completed) return;
        completed = true;
        ctx.history.complete(p, type, value, code ? {code} : undefined);
      };
      let idle: NodeJS.Timeout | undefined;
      const finish = (): void => {
        clearTimeout(idle);
        complete('info', undefined, 'CLOSED');
        resolve();
      };
      const watchdog = (): void => {
        clearTimeout(idle);
        idle = setTimeout(() => this.req?.destroy(), 3 * o.heartbeatMs + (slow ? 10_000 : 0));
      };
      watchdog();
      this.req = http.get(url, {headers}, (res) => {
        if (res.statusCode !== 200) {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => {
            let written: unknown;
            try {
              written = JSON.parse(text)?.error?.written;
            } catch {
              // not JSON
            }
            complete(written === false ? 'fail' : 'info', {status: res.statusCode}, `HTTP_${res.statusCode}`);
            finish();
          });
          res.on('error', finish);
          return;
        }
        complete('ok', {status: 200});
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          watchdog();
          buf += chunk;
          for (let i = buf.indexOf('\n\n'); i !== -1; i = buf.indexOf('\n\n')) {
            this.onBlock(ctx, conn, buf.slice(0, i));
            buf = buf.slice(i + 2);
          }
          if (slow && ctx.running && !ctx.draining) {
            // a slow reader: stops reading for a while, so the broker's writes back up into its socket
            res.pause();
            setTimeout(() => res.resume(), 2000).unref();
          }
        });
        res.on('end', finish);
        res.on('error', finish);
        res.on('close', finish);
      });
      this.req.on('error', finish);
    });
  }

  private onBlock(ctx: WorkloadContext, conn: number, block: string): void {
    let id: string | undefined;
    let data = '';
    let event = 'message';
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const c = line.indexOf(':');
      const field = c === -1 ? line : line.slice(0, c);
      const value = c === -1 ? '' : line.slice(c + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data += value;
    }
    if (id !== undefined) this.lastEventId = id;
    if (event !== 'message' || !data) return;
    const m = JSON.parse(data) as {partition: number; offset: number; id: string | null; value?: unknown; value_base64?: string};
    const e: SseEvent = {conn, partition: m.partition, offset: m.offset, id: m.id, value: m.value_base64 !== undefined ? `base64:${m.value_base64}` : JSON.stringify(m.value), eventId: id ?? ''};
    ctx.history.event('sse-event', e);
    this.next.set(m.partition, m.offset + 1);
  }

  stop(): void {
    this.req?.destroy();
  }

  /** Whether this reader has every message up to `ends` (next offset per partition). */
  caughtUp(ends: ReadonlyMap<number, number>): boolean {
    const pos = this.lastEventId ? parsePositions(this.lastEventId) : new Map<number, number>();
    return [...ends].every(([p, end]) => Math.max(pos.get(p) ?? 0, this.next.get(p) ?? 0) >= end);
  }
}

let nextConn = 0;

async function run(ctx: WorkloadContext, o: SseWorkloadOptions, r: SseReader, slow: boolean): Promise<void> {
  const random = ctx.random(5000 + r.reader);
  while (ctx.running) {
    const node = ctx.pick(random);
    if (node !== undefined) await r.connectOnce(ctx, o, node, nextConn++, slow);
    await ctx.pause(100 + random.int(0, 200));
  }
}

/** The readers and their loops (each reconnects to a random broker with its Last-Event-ID until stopped). */
export function startSse(ctx: WorkloadContext, o: SseWorkloadOptions, connOwner: Map<number, number>): {readers: SseReader[]; loops: Array<Promise<void>>} {
  const readers = Array.from({length: o.readers + o.slowReaders}, (_, i) => new SseReader(i, connOwner));
  const loops = readers.map((r, i) => run(ctx, o, r, i >= o.readers));
  return {readers, loops};
}
