import {parseHostPort, type BrokerConfig} from '../config/index.js';
import type {Logger} from '../observe/logger.js';
import type {Random} from '../util/random.js';
import type {ClusterRuntime} from './cluster-runtime.js';
import type {MetadataGroup} from './metadata/metadata-group.js';
import type {RaftHost} from './raft-host.js';
import {peerTlsOf} from '../security/tls-settings.js';
import {createTcpTransport, type TcpTransport} from './transport/tcp-transport.js';

export interface PeerNetworkDeps {
  config: BrokerConfig;
  host: RaftHost;
  metadata: MetadataGroup;
  cluster: ClusterRuntime;
  logger: Logger;
  random: Random;
}

/**
 * Opens the peer listener and connects to the other brokers the metadata names. Done once the client listener is up,
 * because the handshake announces this broker's client URL (which port 0 only fixes then).
 */
export async function startPeerNetwork(d: PeerNetworkDeps, secret: Buffer, url: string, opts: {peers?: Array<{id: number; peer: string}>} = {}): Promise<TcpTransport> {
  const listen = parseHostPort(d.config.peerListen);
  const peers = new Map<number, {host: string; port: number}>();
  // a joining broker knows the others from the join answer until the metadata reaches it
  for (const b of opts.peers ?? d.metadata.brokers()) if (b.id !== d.config.nodeId) peers.set(b.id, parseHostPort(b.peer));
  const transport = await createTcpTransport({
    nodeId: d.config.nodeId,
    listen,
    peers,
    clusterId: d.metadata.state.clusterId,
    secret,
    tls: peerTlsOf(d.config) ?? null,
    info: {url, peerUrl: ''},
    logger: d.logger,
    random: d.random,
    // a restarted peer is redialed within half a second: its partitions need it back well within an election timeout
    reconnectBackoffMaxMs: 500,
  });
  const bound = transport.address();
  const peerUrl = `tcp://${d.config.peerAdvertise ?? `${bound.host}:${bound.port}`}`;
  transport.setInfo({url, peerUrl});
  transport.onPeerInfo(() => d.cluster.peerConnected());
  d.cluster.peers = transport;
  await d.host.setTransport(transport);
  d.cluster.start(url, peerUrl);
  d.logger.info({peerUrl, peers: [...peers.keys()], clusterId: d.metadata.state.clusterId}, 'peer listener open');
  return transport;
}

/** Keeps the transport's peer list in step with the metadata's brokers (joins, moves, removals). */
export function syncPeers(transport: TcpTransport, metadata: MetadataGroup, self: number): void {
  const brokers = metadata.brokers();
  if (brokers.length === 0) return;
  for (const b of brokers) if (b.id !== self) transport.setPeer(b.id, parseHostPort(b.peer));
  for (const p of transport.peers()) if (!brokers.some((b) => b.id === p.id)) transport.removePeer(p.id);
}
