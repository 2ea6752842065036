/** The lb's own counters since start (the rates in /status are computed from them over a recent window). */
export class LbStats {
  requests = 0;
  inFlight = 0;
  /** Attempts on another upstream (or the same one again) after a failure. */
  retries = 0;
  /** Answers the lb made itself because no upstream could give one (502, 503, 504). */
  errors = 0;
  /** Of those, how many found no eligible upstream at all. */
  noUpstream = 0;
  /** What clients got, by status class (the lb's own errors included). */
  responses = {'2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0};
  /** Request body bytes received, response body bytes sent, messages in produce requests. */
  bytesIn = 0;
  bytesOut = 0;
  messagesIn = 0;
  connections = 0;
  /** The most bytes ever queued on one client's stream socket (a slow reader holds the upstream, not the lb's memory). */
  streamQueuedBytesMax = 0;
  lastError: {at: number; message: string} | null = null;

  countResponse(status: number): void {
    if (status >= 500) this.responses['5xx']++;
    else if (status >= 400) this.responses['4xx']++;
    else if (status >= 300) this.responses['3xx']++;
    else this.responses['2xx']++;
  }
}
