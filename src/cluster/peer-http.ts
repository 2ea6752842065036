import {Pool} from 'undici';

/** Connection pools to the other brokers' client listeners, for forwarded requests. */
export class PeerHttp {
  private readonly pools = new Map<string, Pool>();

  pool(url: string): Pool {
    let p = this.pools.get(url);
    if (!p) this.pools.set(url, (p = new Pool(url, {connections: 32, pipelining: 1, keepAliveTimeout: 30_000})));
    return p;
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.destroy()));
  }
}
