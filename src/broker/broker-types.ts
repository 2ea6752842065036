import type {StoredMessage} from '../storage/index.js';
import type {PartitionLog} from './partition.js';

/** What a fetch asks for and gets, and a partition as `describeTopic` shows it. */
export interface FetchRequest {
  offset: number;
  maxMessages: number;
  maxBytes: number;
  waitMs: number;
  signal?: AbortSignal;
}

export interface FetchResult {
  topic: string;
  partition: number;
  messages: StoredMessage[];
  nextOffset: number;
  highWatermark: number;
  logStart: number;
}

export interface PartitionView {
  partition: number;
  logStart: number;
  highWatermark: number;
  messages: number;
  bytes: number;
  leader: number;
  term: number;
  lastIndex: number;
  log: PartitionLog;
}
