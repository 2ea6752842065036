import {Pool} from 'undici';
import {peerConnectOptions, type PeerTls} from '../security/tls-settings.js';

/** Connection pools to the other brokers' client listeners, for forwarded requests. */
export class PeerHttp {
  private readonly pools = new Map<string, Pool>();

  /** `tls`: trust the cluster's CA and present this broker's certificate (peer mTLS); none: plain HTTP(S). */
  constructor(private readonly tls?: PeerTls) {}

  pool(url: string): Pool {
    let p = this.pools.get(url);
    if (!p) {
      const connect = peerConnectOptions(this.tls);
      this.pools.set(url, (p = new Pool(url, {connections: 32, pipelining: 1, keepAliveTimeout: 30_000, ...(connect ? {connect} : {})})));
    }
    return p;
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.destroy()));
  }
}
