export {MqClient, DEFAULT_URL, envelope, type ClientOptions, type MessageInput, type Acks, type FetchOptions} from './client.js';
export {HttpTransport} from './http.js';
export {MqSocket, type MqSocketOptions, type ServerFrame} from './ws-socket.js';
export * from '../protocol/wire.js';
export {TokenApi, type TokenSpec, type WireToken, type WireEphemeralToken} from './tokens.js';
