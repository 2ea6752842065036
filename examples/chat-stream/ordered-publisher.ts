/**
 * Publishes one session's events in order without waiting for each acknowledgement before the next word: while a
 * produce is in flight, the words that come meanwhile queue up and go together in the next request. So the answer
 * streams as fast as the model writes it (not one commit round trip per word), and order holds because requests for
 * a session are never in flight at the same time. An error stops it; the next push() or flushed() throws it.
 */
export class OrderedPublisher<E> {
  private pending: E[] = [];
  private inFlight: Promise<void> | undefined;
  private failed: unknown;

  constructor(
    private readonly send: (events: E[]) => Promise<void>,
    private readonly batchMax = 500,
  ) {}

  push(e: E): void {
    if (this.failed !== undefined) throw this.failed;
    this.pending.push(e);
    this.inFlight ??= this.pump();
  }

  /** Resolves once everything pushed so far is acknowledged. */
  async flushed(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    if (this.failed !== undefined) throw this.failed;
  }

  private async pump(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.batchMax);
        await this.send(batch);
      }
    } catch (error) {
      this.failed = error;
      this.pending = [];
    } finally {
      this.inFlight = undefined;
    }
  }
}
