import type {Logger} from '../observe/logger.js';
import type {Clock} from '../util/clock.js';
import {Balancer} from './balancer.js';
import type {LbConfig} from './lb-config.js';
import {upstreamConnectOptions} from './lb-tls.js';
import {Upstream} from './upstream.js';

/**
 * The upstreams the lb knows, in a stable order (the order round-robin walks): the static --upstream URLs plus
 * whatever discovery learnt. An upstream that discovery drops takes no new requests and its pool closes once its
 * requests (open streams included) have finished.
 */
export class UpstreamSet {
  list: Upstream[] = [];
  readonly balancer: Balancer;
  /** Called for every new upstream (the health checker checks it at once). */
  onAdded: (u: Upstream) => void = () => {};
  private readonly ca: string[] | undefined;

  constructor(
    private readonly config: LbConfig,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.balancer = new Balancer(config.strategy);
    this.ca = upstreamConnectOptions(config)?.ca;
  }

  get(url: string): Upstream | undefined {
    return this.list.find((u) => u.url === url);
  }

  /** Makes the set exactly `urls` (order kept for the ones that stay). */
  sync(urls: readonly string[]): void {
    const want = new Set(urls);
    for (const u of this.list) {
      if (want.has(u.url)) continue;
      u.removed = true;
      this.logger.info({upstream: u.url}, 'upstream removed');
      void u.close();
    }
    this.list = this.list.filter((u) => !u.removed);
    for (const url of urls) {
      if (this.get(url)) continue;
      const c = this.config;
      const u = new Upstream(
        url,
        {
          connections: c.upstreamConnections,
          connectTimeoutMs: c.connectTimeoutMs,
          keepAliveTimeoutMs: c.keepAliveTimeoutMs,
          ca: this.ca,
          health: {rise: c.healthRise, fall: c.healthFall, maxFails: c.maxFails, failTimeoutMs: c.failTimeoutMs},
        },
        this.clock,
      );
      this.list.push(u);
      this.logger.info({upstream: url}, 'upstream added');
      this.onAdded(u);
    }
  }

  /** The upstream for the next attempt of a request that has already tried `tried`. */
  pick(tried: ReadonlySet<string>): Upstream | undefined {
    return this.balancer.pick(this.list, tried);
  }

  get anyEligible(): boolean {
    return this.list.some((u) => u.eligible);
  }

  async close(): Promise<void> {
    await Promise.all(this.list.map((u) => u.close()));
  }

  destroy(): void {
    for (const u of this.list) u.destroy();
  }
}
