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
  /** HTTP request head (request line + headers): Node's maxHeaderSize; past it, 431. */
  httpHeadersBytesMax: 16 * 1024,
  httpHeadersCountMax: 100,
  /** Time a client has to send a whole request head (slowloris); an idle new connection is closed after it too. */
  headersTimeoutMs: 20_000,
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: 65_000,
  /** An SSE stream whose reader has not taken a byte for this long (the socket's buffer stays full) is closed. */
  streamStallTimeoutMs: 60_000,
} as const;

export type Limits = {-readonly [K in keyof typeof DEFAULT_LIMITS]: number};
