/** Every limit mq enforces, with its unit last in the name. Each one is a broker setting; these are the defaults. */
export const DEFAULT_LIMITS = {
  messageBytesMax: 1024 * 1024,
  requestBytesMax: 16 * 1024 * 1024,
  batchMessagesMax: 10_000,
  keyBytesMax: 16 * 1024,
  idBytesMax: 256,
  producerBytesMax: 256,
  headersCountMax: 64,
  headersBytesMax: 64 * 1024,
  fetchMessagesMax: 10_000,
  fetchBytesMax: 16 * 1024 * 1024,
  waitMsMax: 30_000,
  delayMsMax: 30 * 24 * 3600 * 1000,
  partitionsPerTopicMax: 1024,
  topicsMax: 10_000,
  dedupEntriesPerPartitionMax: 2_000_000,
  requestTimeoutMs: 60_000,
  connectionsMax: 10_000,
} as const;

export type Limits = {-readonly [K in keyof typeof DEFAULT_LIMITS]: number};
