// the package's public API: in a project of your own, import from 'mq'
import {MqClient, MqError, Worker, type WireProduceFailed} from '../../src/index.js';
import {answerFor} from './answer.js';
import {ControlFollower} from './control-follower.js';
import {OrderedPublisher} from './ordered-publisher.js';
import {eventId, GENERATOR_GROUP, TOPICS, type ChatEvent, type PromptJob} from './protocol.js';
import {retrying} from './retry.js';
import {ensureChatTopics} from './setup.js';

export interface GeneratorOptions {
  /** mq: the lb (or any broker). */
  url: string;
  token?: string;
  /** Waits before each word: the model "thinking". Default: `delayMs`, abortable. Tests inject a gate here. */
  pace?: (answer: string, seq: number, signal: AbortSignal) => Promise<void>;
  /** The default pace between words (ms). */
  delayMs?: number;
  /** Every answer this many words long (default: 40..80, by prompt). */
  words?: number;
  /** Answers generated at once (different sessions). */
  concurrency?: number;
  consumer?: string;
  onError?: (error: unknown) => void;
}

/** What this generator published for one answer, acknowledged by mq: what a page must end up showing. */
export interface GeneratedAnswer {
  session: string;
  answer: string;
  prompt: string;
  words: string[];
  status: 'streaming' | 'done' | 'cancelled';
  /** Produce requests it took (words that came while one was in flight shared the next). */
  requests: number;
}

/** The cancellations remembered (answers cancelled before or while they run); the oldest are forgotten first. */
const CANCELLED_MAX = 10_000;
/** Answers kept in `answers` (for tests and inspection); the oldest are forgotten first. */
const ANSWERS_KEPT = 1000;

/**
 * The token generator: takes prompts from the `chat.prompts` queue group (one generator per prompt, however many
 * run), publishes the answer word by word to `chat` under the session's key, and stops an answer when a cancel for
 * it appears on `chat.control`. Every event carries a fixed id, so a retry after a broker died, or a prompt delivered
 * again after this generator crashed, does not store anything twice.
 */
export class TokenGenerator {
  readonly answers = new Map<string, GeneratedAnswer>();
  readonly client: MqClient;
  private readonly cancelled = new Set<string>();
  private readonly worker: Worker;
  private readonly control: ControlFollower;
  private working: Promise<void> | undefined;

  constructor(private readonly opts: GeneratorOptions) {
    this.client = new MqClient({url: opts.url, token: opts.token});
    this.worker = new Worker({
      url: opts.url,
      token: opts.token,
      group: GENERATOR_GROUP,
      concurrency: opts.concurrency ?? 8,
      consumer: opts.consumer ?? `chat-generator-${process.pid}`,
      handler: (m, ctx) => this.answer(m.value as PromptJob, ctx.signal),
      onError: opts.onError,
    });
    this.control = new ControlFollower(this.client, (c) => this.cancel(c.answer), {onError: opts.onError});
  }

  async start(): Promise<void> {
    await retrying(() => ensureChatTopics(this.client));
    this.control.start();
    this.working = this.worker.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.worker.stop(), this.control.stop()]);
    await this.working;
    await this.client.close();
  }

  /** Whether a cancel for this answer has reached this generator. */
  isCancelled(answer: string): boolean {
    return this.cancelled.has(answer);
  }

  private cancel(answer: string): void {
    this.cancelled.add(answer);
    if (this.cancelled.size > CANCELLED_MAX) this.cancelled.delete(this.cancelled.values().next().value!);
  }

  private async answer(job: PromptJob, signal: AbortSignal): Promise<void> {
    // not a job of ours: failing sends it, after the group's max deliveries, to the dead-letter topic
    if (typeof job?.session !== 'string' || typeof job.answer !== 'string' || typeof job.text !== 'string') throw new Error('not a prompt job');
    const words = answerFor(job.text, this.opts.words);
    // a prompt delivered again starts over: the same ids make the republished events duplicates mq drops
    const rec: GeneratedAnswer = {session: job.session, answer: job.answer, prompt: job.text, words: [], status: 'streaming', requests: 0};
    this.answers.delete(job.answer);
    this.answers.set(job.answer, rec);
    if (this.answers.size > ANSWERS_KEPT) this.answers.delete(this.answers.keys().next().value!);
    const out = new OrderedPublisher<ChatEvent>(async (events) => {
      await this.publish(job.session, events, signal);
      rec.requests++;
      for (const e of events) if (e.type === 'token') rec.words.push(e.word);
    });
    out.push({type: 'start', answer: job.answer, words: words.length});
    for (let seq = 0; seq < words.length; seq++) {
      await (this.opts.pace ?? this.sleep)(job.answer, seq, signal);
      // stopping (or the lease lost): leave the prompt to be delivered again, so the answer is finished later
      if (signal.aborted) throw new Error(`stopped in the middle of answer ${job.answer}`);
      if (this.cancelled.has(job.answer)) {
        out.push({type: 'cancelled', answer: job.answer, words: seq});
        await out.flushed();
        rec.status = 'cancelled';
        return;
      }
      out.push({type: 'token', answer: job.answer, seq, word: words[seq]!});
    }
    out.push({type: 'end', answer: job.answer, words: words.length});
    await out.flushed();
    rec.status = 'done';
  }

  private readonly sleep = async (_answer: string, _seq: number, signal: AbortSignal): Promise<void> => {
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, this.opts.delayMs ?? 40);
      function done(): void {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, {once: true});
    });
  };

  /** One produce request for a session's events, in order, repeated until acknowledged (their ids make that safe). */
  private async publish(session: string, events: ChatEvent[], signal: AbortSignal): Promise<void> {
    const messages = events.map((e) => ({key: session, id: eventId(e), value: e}));
    const results = await retrying(async () => {
      const rs = await this.client.produce(TOPICS.chat, messages);
      const failed = rs.find((r): r is WireProduceFailed => 'error' in r && r.error.retriable);
      // a batch for one key is one append: a retriable failure means none of it stands yet, so all of it goes again
      if (failed) throw MqError.fromBody(500, {error: failed.error});
      return rs;
    }, {signal});
    for (const [i, r] of results.entries()) {
      if (!('error' in r)) continue;
      const e = events[i]!;
      // the answer already ended in an earlier run (with another word count): that ending stands
      if (r.error.code === 'ID_CONFLICT' && (e.type === 'cancelled' || e.type === 'end')) continue;
      throw MqError.fromBody(400, {error: r.error});
    }
  }
}
