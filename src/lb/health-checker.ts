import {Client} from 'undici';
import type {Logger} from '../observe/logger.js';
import type {LbConfig} from './lb-config.js';
import {upstreamConnectOptions} from './lb-tls.js';
import type {Upstream} from './upstream.js';
import type {UpstreamSet} from './upstream-set.js';

/**
 * Active health checks: GET /ready on every upstream every `healthIntervalMs`, failing after `healthTimeoutMs`. A
 * broker answers 200 only while it serves (it has a metadata leader and is not stopping), so a broker that is
 * partitioned from the majority, still starting, or draining is taken out like a dead one.
 *
 * Each upstream gets its own one-connection undici Client for checks, apart from the request pool: a pool full of
 * long-polls and streams must not delay a check into a false "down".
 */
export class HealthChecker {
  private readonly clients = new Map<Upstream, Client>();
  private readonly running = new Set<Upstream>();
  private timer: NodeJS.Timeout | undefined;
  private readonly ca: string[] | undefined;

  constructor(
    private readonly set: UpstreamSet,
    private readonly config: LbConfig,
    private readonly logger: Logger,
  ) {
    this.ca = upstreamConnectOptions(config)?.ca;
  }

  start(): void {
    this.timer = setInterval(() => this.checkAll(), this.config.healthIntervalMs);
    this.timer.unref();
    this.checkAll();
  }

  checkAll(): void {
    for (const u of this.set.list) void this.check(u);
    for (const [u, c] of this.clients) {
      if (!u.removed) continue;
      this.clients.delete(u);
      void c.destroy().catch(() => undefined);
    }
  }

  private client(u: Upstream): Client {
    let c = this.clients.get(u);
    if (!c) {
      c = new Client(u.url, {connect: {timeout: this.config.healthTimeoutMs, ...(this.ca ? {ca: this.ca} : {})}, pipelining: 1, keepAliveTimeout: this.config.healthIntervalMs * 4});
      this.clients.set(u, c);
    }
    return c;
  }

  /** One check of one upstream (a check still running when the next is due is not doubled). */
  async check(u: Upstream): Promise<void> {
    if (this.running.has(u) || u.removed) return;
    this.running.add(u);
    let ok = false;
    let error: string | undefined;
    try {
      const t = this.config.healthTimeoutMs;
      const res = await this.client(u).request({method: 'GET', path: '/ready', headersTimeout: t, bodyTimeout: t, signal: AbortSignal.timeout(t)});
      const text = await res.body.text();
      ok = res.statusCode === 200;
      if (!ok) error = `/ready answered ${res.statusCode}`;
      else learnNodeId(u, text);
    } catch (err) {
      error = `${(err as {code?: string}).code ?? (err as Error).name}: ${(err as Error).message}`;
      // a broken keep-alive connection would fail the next check too: start afresh
      const c = this.clients.get(u);
      this.clients.delete(u);
      void c?.destroy().catch(() => undefined);
    } finally {
      this.running.delete(u);
    }
    if (u.removed) return;
    const changed = u.health.checkResult(ok, error);
    if (changed === 'down') this.logger.warn({upstream: u.url, error}, 'upstream down');
    else if (changed === 'up') this.logger.info({upstream: u.url}, 'upstream up');
  }

  stop(): void {
    clearInterval(this.timer);
    for (const c of this.clients.values()) void c.destroy().catch(() => undefined);
    this.clients.clear();
  }
}

/** A broker's /ready names it ({"ready": true, "node_id": 2}): how static upstreams get their node ids. */
function learnNodeId(u: Upstream, text: string): void {
  try {
    const id = (JSON.parse(text) as {node_id?: unknown}).node_id;
    if (typeof id === 'number' && Number.isSafeInteger(id)) u.identity = {version: null, metadataLeader: false, ...u.identity, nodeId: id};
  } catch {
    // not a broker's answer: keep what discovery said, if anything
  }
}
