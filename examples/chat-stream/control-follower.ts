// the package's public API: in a project of your own, import from 'mq'
import {MqError, type MqClient} from '../../src/index.js';
import {TOPICS, type ControlMessage} from './protocol.js';

/**
 * Reads all of `chat.control` (one partition) with long-polls, from its start, and hands every cancellation to
 * `onCancel`. Every generator runs one, so a cancel sent through any broker reaches the generator that holds the
 * answer; reading from the start means a cancel that came before the answer started is seen too.
 */
export class ControlFollower {
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  private offset = 0;

  constructor(
    private readonly client: MqClient,
    private readonly onCancel: (c: ControlMessage) => void,
    private readonly opts: {waitMs?: number; onError?: (e: unknown) => void} = {},
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      try {
        const r = await this.client.fetch(TOPICS.control, 0, {offset: this.offset, waitMs: this.opts.waitMs ?? 5000, signal});
        // retention may have moved the start past us: carry on from what is there
        this.offset = Math.max(r.next_offset, r.log_start_offset);
        for (const m of r.messages) {
          const c = m.value as ControlMessage | undefined;
          if (c?.type === 'cancel' && typeof c.answer === 'string') this.onCancel(c);
        }
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof MqError && error.code === 'OFFSET_OUT_OF_RANGE') {
          this.offset = Number((error.details as {log_start?: number} | undefined)?.log_start ?? 0);
          continue;
        }
        this.opts.onError?.(error);
        // an election or a dead broker: try again shortly (through the lb, another broker answers)
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
}
