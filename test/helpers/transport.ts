import {afterEach} from 'vitest';
import type {NodeId} from '../../src/cluster/raft/index.js';
import {createTcpTransport, type TcpTransport, type TcpTransportOptions} from '../../src/cluster/transport/tcp-transport.js';
import {silentLogger} from '../../src/observe/logger.js';
import {SeededRandom} from '../../src/util/random.js';

export const TEST_SECRET = Buffer.from('test-secret-test-secret-32-bytes');

/**
 * For a test file: a `start(nodeId, options)` that opens a peer transport on 127.0.0.1 (port 0) with the given
 * defaults and closes every one after each test.
 */
export function useTransports(defaults: Partial<TcpTransportOptions> & {clusterId: string; scheme?: 'http' | 'https'}): (nodeId: NodeId, over?: Partial<TcpTransportOptions>) => Promise<TcpTransport> {
  const open: TcpTransport[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });
  const {scheme = 'http', ...base} = defaults;
  return async (nodeId, over = {}) => {
    const t = await createTcpTransport({
      nodeId,
      listen: {host: '127.0.0.1', port: 0},
      peers: new Map(),
      secret: TEST_SECRET,
      info: {url: `${scheme}://broker-${nodeId}`, peerUrl: `tcp://broker-${nodeId}`},
      logger: silentLogger,
      random: new SeededRandom(nodeId),
      connectTimeoutMs: 2_000,
      ...base,
      ...over,
    });
    open.push(t);
    return t;
  };
}

/** Acceptors learn their dialers first, so that no HELLO arrives before its sender is a known peer. */
export function mesh(ts: readonly TcpTransport[]): void {
  for (const a of ts) for (const b of ts) if (a.nodeId > b.nodeId) a.setPeer(b.nodeId, b.address());
  for (const a of ts) for (const b of ts) if (a.nodeId < b.nodeId) a.setPeer(b.nodeId, b.address());
}

export const connected = (t: TcpTransport, peer: NodeId): boolean => t.peers().find((p) => p.id === peer)?.connected ?? false;

/** Polls fn every 10 ms until it returns something truthy. */
export async function waitUntil<T>(fn: () => T, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
