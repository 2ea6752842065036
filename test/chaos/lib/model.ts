/**
 * The shapes of operation values in a chaos history (requests on invocations, answers on completions), and of the
 * final state drained from every replica at the end of a run. Workloads write them; checkers read them.
 */

/** `append` (log) and `enqueue` (queue) requests: a batch of messages with ids, each with the exact value text sent. */
export interface AppendReq {
  topic: string;
  partition: number;
  messages: Array<{id: string; value: string}>;
  /** A retry of an earlier, unknown attempt (same ids, same partition). */
  retry?: boolean;
}

export interface AckedMessage {
  id: string;
  partition: number;
  offset: number;
  term?: number;
  leader?: number;
  duplicate?: boolean;
}

/** An `append` answer: per message, acknowledged or refused (`written` false: certain; otherwise unknown). */
export interface AppendRes {
  acks: AckedMessage[];
  refused: Array<{id: string; code: string; written: boolean | 'unknown' | null}>;
}

export interface ReadMessage {
  offset: number;
  id: string | null;
  /** The value exactly as served (JSON text). */
  value: string;
}

/** `read` of one partition from an offset through the fetch API. */
export interface ReadReq {
  /** The reader (a session: stable across the logical processes a reader goes through). */
  reader: number;
  partition: number;
  from: number;
}

export interface ReadRes {
  messages: ReadMessage[];
  next: number;
  hw: number;
}

/** `observe`: the monitor's sample of one broker's replica (debug read). */
export interface Observation {
  topic: string;
  node: number;
  /** Increments when the broker's data directory is wiped: its high watermark restarts from zero only then. */
  incarnation: number;
  /** Increments at every start of the broker process: Raft's commit index is volatile, so it may restart lower. */
  life: number;
  partition: number;
  role: string;
  term: number;
  leader: number | null;
  commit: number;
  hw: number;
}

/** The last word on each partition: every replica's whole log (debug read) and the committed log through the API. */
export interface ReplicaDump {
  node: number;
  partition: number;
  hw: number;
  logStart: number;
  nextOffset: number;
  messages: Array<{offset: number; term: number | null; id: string | null; crc: number; committed: boolean}>;
}

export interface FinalLog {
  /** Per partition, the committed messages read through the API once the cluster healed. */
  committed: Map<number, ReadMessage[]>;
  replicas: ReplicaDump[];
  /** Brokers holding a replica of each partition (the replication factor). */
  replicationFactor: number;
  /** Whether the final read could reach every partition (false: the checker cannot judge losses). */
  complete: boolean;
}

/** Stream groups. */
export interface GroupFetchRes {
  member: string;
  generation: number;
  assignment: number[];
  messages: Array<{partition: number; offset: number; id: string | null}>;
}

export interface GroupCommitReq {
  member: string;
  generation: number;
  offsets: Array<{partition: number; offset: number}>;
}

/** Committed offsets as answered by a commit or a describe. */
export interface CommittedRes {
  committed: Array<{partition: number; offset: number | null}>;
}

/** Work queues. */
export interface Delivery {
  id: string;
  partition: number;
  offset: number;
  lease: string;
  count: number;
}

export interface LeaseReq {
  consumer: string;
  leaseMs: number;
}

export interface LeaseRes {
  deliveries: Delivery[];
}

export interface ConfirmReq {
  lease: string;
  id: string;
}

export interface ConfirmRes {
  status: string;
}

export interface DeadLetter {
  /** The original message's id (header mq-dlq-original-id). */
  id: string;
  /** The dead-letter copy's own id (dlq/<group>/<topic>/<partition>/<offset>). */
  dlqId: string;
  deliveries: number;
  offset: number;
}

export interface Receipt {
  id: string;
  state: string;
  group: string;
  cursor: number;
}

export interface FinalQueue {
  deadLetters: DeadLetter[];
  receipts: Receipt[];
  /** Messages the group still holds (not acked or dead-lettered) after the drain. */
  backlog: number;
  maxDeliveries: number;
  producer: string;
  group: string;
  /** Whether receipts were produced and read (messages with a producer id); if not, no receipt is checked. */
  receiptsRead: boolean;
  /** The group's description at the end (per partition: floor, in flight, waiting, dead letters pending). */
  describe?: unknown;
}

/** SSE: one message event as received on a connection. */
export interface SseEvent {
  conn: number;
  partition: number;
  offset: number;
  id: string | null;
  value: string;
  /** The event id (position vector after this message). */
  eventId: string;
}

/** `sse-connect`: a (re)connection with the position it resumed from. */
export interface SseConnectReq {
  conn: number;
  lastEventId: string | null;
}
