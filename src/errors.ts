/**
 * The error registry: every error mq reports has a stable code, an HTTP status, whether a retry can help, and a
 * default for `written` (did the write happen?). The server serialises these, the client rebuilds them, the CLI maps
 * them to exit codes, and docs/api.md lists them. Add codes here, never ad hoc.
 */
export type Written = true | false | 'unknown';

interface ErrorSpec {
  readonly status: number;
  readonly retriable: boolean;
  readonly written: Written;
  readonly summary: string;
}

function spec(status: number, summary: string, retriable = false, written: Written = false): ErrorSpec {
  return {status, retriable, written, summary};
}

export const ERROR_SPECS = {
  BAD_REQUEST: spec(400, 'The request is malformed (query parameters, path, headers).'),
  INVALID_JSON: spec(400, 'The body is not valid JSON or NDJSON.'),
  INVALID_FIELD: spec(400, 'A field has the wrong type or an invalid value.'),
  MISSING_FIELD: spec(400, 'A required field is missing.'),
  UNKNOWN_FIELD: spec(400, 'The envelope has a field mq does not know (or a forbidden key such as __proto__).'),
  INVALID_TOPIC_NAME: spec(400, 'Topic names are [A-Za-z0-9._-]{1,196}, not all dots; names starting with __ are internal.'),
  INVALID_OFFSET: spec(400, 'Offsets are non-negative integers below 2^53.'),
  INVALID_CONFIG: spec(400, 'A topic or broker setting is out of range.'),
  UNAUTHORIZED: spec(401, 'A valid token is required.'),
  TOKEN_EXPIRED: spec(401, 'The ephemeral token has expired; ask for a new one (POST /v1/tokens/ephemeral).'),
  FORBIDDEN: spec(403, 'The token lacks the grant for this operation.'),
  TOKEN_NOT_FOUND: spec(404, 'No token with this name exists.'),
  NOT_FOUND: spec(404, 'No such endpoint.'),
  TOPIC_NOT_FOUND: spec(404, 'The topic does not exist (and auto-creation is off, or this is a read).'),
  GROUP_NOT_FOUND: spec(404, 'The consumer group does not exist.'),
  PARTITION_NOT_FOUND: spec(404, 'The topic has no such partition.'),
  PARTITION_DRAINING: spec(409, 'The autoscaled partition is being drained before its removal; nothing was written. Send without a partition (or to another one).', true),
  BROKER_NOT_FOUND: spec(404, 'No broker with this id is a member of the cluster.'),
  METHOD_NOT_ALLOWED: spec(405, 'The endpoint does not support this method.'),
  TOPIC_EXISTS: spec(409, 'A topic with this name already exists.'),
  ID_CONFLICT: spec(409, 'A message with this id but a different payload was written within the de-duplication window.'),
  TOKEN_EXISTS: spec(409, 'A token with this name already exists (revoke it first to reissue).'),
  GROUP_EXISTS: spec(409, 'A consumer group with this name already exists (with other settings).'),
  GROUP_ACTIVE: spec(409, 'The group has active members; stop them (or wait for their sessions to expire) first.', true),
  UNKNOWN_MEMBER: spec(409, 'The member is not in the group (its session expired or it left): join again.'),
  WRONG_GROUP_MODE: spec(409, 'The operation needs a group of the other mode (stream groups join and commit; queue groups lease and ack).'),
  LEASE_EXPIRED: spec(409, 'The lease is not current (it ran out, or the message was redelivered); nothing changed.'),
  NO_QUEUE_GROUP: spec(409, 'await=processed needs at least one queue group on the topic; nothing was written.'),
  BROKER_IN_USE: spec(409, 'The broker still holds replicas (move them first), or it is the last broker.'),
  CLUSTER_MISMATCH: spec(409, 'The request names another cluster (its cluster id or secret does not match).'),
  STALE_GENERATION: spec(409, 'The group rebalanced since this member last heard; details give the current generation and assignment.'),
  TOO_MANY_SUBSCRIPTIONS: spec(409, 'The WebSocket connection holds its limit of subscriptions; unsubscribe one first.'),
  MESSAGE_TOO_LARGE: spec(413, 'A message exceeds the maximum message size.'),
  REQUEST_TOO_LARGE: spec(413, 'The request body exceeds the maximum request size.'),
  BATCH_TOO_LARGE: spec(413, 'The batch has more messages than allowed.'),
  UNSUPPORTED_MEDIA_TYPE: spec(415, 'Use application/json or application/x-ndjson.'),
  OFFSET_OUT_OF_RANGE: spec(416, 'The offset is outside [log start, high watermark].'),
  NOT_LEADER: spec(421, 'This broker does not lead the partition; details name the leader.', true),
  RATE_LIMITED: spec(429, 'Too many requests; retry after the Retry-After header.', true),
  REQUEST_TIMEOUT: spec(408, 'The request head or body was not received within the configured time (slow client); nothing was written.'),
  HEADERS_TOO_LARGE: spec(431, 'The request headers exceed the size or count limit.'),
  INTERNAL: spec(500, 'An unexpected error; the broker logged it.', false, 'unknown'),
  DATA_CORRUPTED: spec(500, 'Stored data failed its CRC check; the broker does not serve it.'),
  UPSTREAM_FAILED: spec(502, 'The lb lost the broker before it answered; a write may have happened.', true, 'unknown'),
  UNAVAILABLE: spec(503, 'The broker cannot serve this request right now.', true),
  TOO_MANY_CONNECTIONS: spec(503, 'The broker already holds connectionsMax connections; this one was closed unread. Retry later.', true),
  NO_UPSTREAM: spec(503, 'The lb has no healthy broker that could take the request; nothing was written.', true),
  SHUTTING_DOWN: spec(503, 'The broker is stopping.', true),
  TIMEOUT: spec(504, 'The operation did not finish in time; it may still complete.', true, 'unknown'),
  DISK_FULL: spec(507, 'The broker is out of disk space; nothing was written (written: "unknown" for a write already under way, which is kept and may still land).', true),
  TOPIC_FULL: spec(507, 'The until_acked topic is at its retention limit; nothing was written. Consumers must ack first.', true),
  TLS_CERT_UNTRUSTED: spec(502, 'Client side: the server\'s TLS certificate could not be verified (unknown CA, expired, or not for this host); nothing was sent. Give the CA with --ca / MQ_CA.'),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_SPECS;

export interface ErrorBody {
  error: {
    code: string;
    message: string;
    written: Written;
    retriable: boolean;
    details?: Record<string, unknown>;
  };
}

export class MqError extends Error {
  override name = 'MqError';
  readonly status: number;
  readonly retriable: boolean;
  readonly written: Written;

  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details?: Record<string, unknown>,
    written?: Written,
  ) {
    const s: ErrorSpec = ERROR_SPECS[code];
    super(message ?? s.summary);
    this.status = s.status;
    this.retriable = s.retriable;
    this.written = written ?? s.written;
  }

  toBody(): ErrorBody {
    const error: ErrorBody['error'] = {code: this.code, message: this.message, written: this.written, retriable: this.retriable};
    if (this.details !== undefined) error.details = this.details;
    return {error};
  }

  /** Rebuilds an error from a response body (the client side). Unknown codes keep their text but map to INTERNAL's class. */
  static fromBody(status: number, body: unknown): MqError {
    const e = (body as Partial<ErrorBody> | undefined)?.error;
    if (e && typeof e.code === 'string') {
      const known = e.code in ERROR_SPECS ? (e.code as ErrorCode) : 'INTERNAL';
      const err = new MqError(known, e.message, e.details, e.written);
      if (known !== e.code) (err as {code: string}).code = e.code;
      return err;
    }
    return new MqError(status >= 500 ? 'UNAVAILABLE' : 'BAD_REQUEST', `HTTP ${status}`, undefined, status >= 500 ? 'unknown' : false);
  }
}

export function isMqError(e: unknown): e is MqError {
  return e instanceof MqError;
}
