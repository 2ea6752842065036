import type {Message, NodeId} from '../raft/index.js';

/** A Raft message with the group it belongs to. */
export type GroupMessage = [gid: number, msg: Message];

export interface PeerStatus {
  id: NodeId;
  address: string;
  connected: boolean;
  /** Messages waiting to be written to the socket. */
  queued: number;
  sentFrames: number;
  receivedFrames: number;
  /** Wall-clock ms of the last frame received from the peer; 0 or absent if none. */
  lastReceivedAt?: number;
  /** The peer's client and peer URLs, as announced in its last handshake. */
  url?: string;
  peerUrl?: string;
  /** Frames not sent (no connection, a full queue); refused handshakes, in either direction. */
  droppedFrames?: number;
  rejects?: number;
  /** The peer protocol version agreed on the current connection (null or absent while not connected). */
  protocol?: number | null;
}

/**
 * How Raft messages travel between brokers. All messages for one peer produced in one round go out together (one
 * frame), which is what coalesces the heartbeats of many groups into one per broker pair.
 */
export interface Transport {
  send(byPeer: ReadonlyMap<NodeId, GroupMessage[]>): void;
  onMessages(handler: (from: NodeId, msgs: GroupMessage[]) => void): void;
  onUnreachable(handler: (peer: NodeId) => void): void;
  peers(): PeerStatus[];
  close(): Promise<void>;
}

/** A single broker: nobody to talk to. */
export function localTransport(): Transport {
  return {
    send: () => {},
    onMessages: () => {},
    onUnreachable: () => {},
    peers: () => [],
    close: async () => {},
  };
}
