export {MqClient, DEFAULT_URL, envelope, type ClientOptions, type MessageInput, type Acks, type FetchOptions} from './client.js';
export {HttpTransport} from './http.js';
export * from '../protocol/wire.js';
