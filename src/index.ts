/**
 * mq's Node library: a batching idempotent Producer, a Consumer for groups and offsets, the low-level MqClient, and
 * startBroker() to run a real broker inside your own tests. docs/client.md has examples.
 */
export {MqClient, DEFAULT_URL, type ClientOptions, type MessageInput, type Acks, type FetchOptions} from './client/client.js';
export {Producer, type ProducerOptions, type SendResult} from './client/producer.js';
export {Consumer, type ConsumerOptions, type ConsumedMessage} from './client/consumer.js';
export {Worker, type WorkerOptions, type JobContext, type ProcessedIds, type WorkerStats} from './client/worker.js';
export {MqSocket, type MqSocketOptions, type ServerFrame} from './client/ws-socket.js';
export {startBroker, type EmbeddedBroker, type EmbeddedBrokerOptions} from './embedded.js';
export {MqError, ERROR_SPECS, isMqError, type ErrorCode, type Written} from './errors.js';
export type * from './protocol/wire.js';
