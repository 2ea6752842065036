/** Inter-broker transport: how Raft messages of every group travel between brokers. */
export {localTransport, type GroupMessage, type PeerStatus, type Transport} from './types.js';
export {TransportError, type TransportErrorCode} from './binary.js';
export {decodeMessages, encodeMessages} from './message-codec.js';
export {PROTOCOL_RANGE, PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN, formatRange, type ProtocolRange, type RejectCode} from './handshake.js';
export {
  createTcpTransport,
  TcpTransport,
  TCP_TRANSPORT_DEFAULTS,
  type PeerAddress,
  type PeerInfo,
  type RejectEvent,
  type TcpPeerStatus,
  type TcpTransportOptions,
} from './tcp-transport.js';
