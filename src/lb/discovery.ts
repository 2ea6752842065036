import {request, type Agent} from 'undici';
import {upstreamAgent} from './lb-tls.js';
import type {Logger} from '../observe/logger.js';
import type {LbConfig} from './lb-config.js';
import type {UpstreamSet} from './upstream-set.js';

/** The part of GET /v1/cluster the lb reads. */
interface ClusterView {
  cluster_id?: string;
  metadata?: {leader: number | null};
  brokers?: Array<{id: number; url: string | null; version?: string | null}>;
}

/**
 * `--discover URL`: follows the cluster's membership. Every `discoverIntervalMs` it asks GET /v1/cluster of the
 * seed URLs and then of every known upstream, in turn, until one answers; the brokers it lists (with a client URL)
 * become the upstreams, next to the static --upstream ones. A broker that leaves the list stops getting new
 * requests. When no one answers, the last known set stays.
 */
export class Discovery {
  clusterId: string | null = null;
  lastOkAt: number | null = null;
  lastError: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Trusts the configured CA for https brokers (undefined: undici's default). */
  private readonly dispatcher: Agent | undefined;

  constructor(
    private readonly set: UpstreamSet,
    private readonly config: LbConfig,
    private readonly logger: Logger,
  ) {
    this.dispatcher = upstreamAgent(config);
  }

  async start(): Promise<void> {
    // until the first answer the seeds themselves are the upstreams (they are brokers too)
    this.set.sync([...this.config.upstreams, ...this.config.discover]);
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.config.discoverIntervalMs);
    this.timer.unref();
  }

  async refresh(): Promise<boolean> {
    if (this.running) return false;
    this.running = true;
    try {
      const sources = [...new Set([...this.config.discover, ...this.set.list.map((u) => u.url)])];
      for (const src of sources) {
        const view = await this.fetchView(src);
        if (!view) continue;
        this.apply(view);
        return true;
      }
      return false;
    } finally {
      this.running = false;
    }
  }

  private async fetchView(src: string): Promise<ClusterView | undefined> {
    const t = this.config.healthTimeoutMs;
    try {
      const res = await request(`${src}/v1/cluster`, {headersTimeout: t, bodyTimeout: t, signal: AbortSignal.timeout(t), dispatcher: this.dispatcher});
      if (res.statusCode !== 200) {
        await res.body.dump();
        this.lastError = `${src}/v1/cluster answered ${res.statusCode}`;
        return undefined;
      }
      const view = (await res.body.json()) as ClusterView;
      if (!Array.isArray(view.brokers)) throw new Error('no brokers list');
      return view;
    } catch (error) {
      this.lastError = `${src}/v1/cluster: ${(error as Error).message}`;
      return undefined;
    }
  }

  private apply(view: ClusterView): void {
    const brokers = (view.brokers ?? []).filter((b) => typeof b.url === 'string' && /^https?:\/\//.test(b.url));
    const urls = brokers.map((b) => b.url!.replace(/\/+$/, ''));
    const before = this.set.list.map((u) => u.url).join(',');
    this.set.sync([...new Set([...this.config.upstreams, ...urls])]);
    for (const b of brokers) {
      const u = this.set.get(b.url!.replace(/\/+$/, ''));
      if (u) u.identity = {nodeId: b.id, version: b.version ?? null, metadataLeader: view.metadata?.leader === b.id};
    }
    const after = this.set.list.map((u) => u.url).join(',');
    if (after !== before) this.logger.info({upstreams: this.set.list.map((u) => u.url)}, 'membership changed');
    this.clusterId = view.cluster_id ?? null;
    this.lastOkAt = Date.now();
    this.lastError = null;
  }

  stop(): void {
    clearInterval(this.timer);
    void this.dispatcher?.close();
  }
}
