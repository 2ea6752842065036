import {MqError} from '../../errors.js';
import type {Broker} from '../broker.js';
import type {Receipts} from './receipts.js';

const KEY = 'callback/';
export const CALLBACK_ATTEMPTS = 6;
const TIMEOUT_MS = 5000;

interface Registration {
  url: string;
  /** The next receipt to deliver. */
  cursor: number;
}

export interface CallbackStats {
  delivered: number;
  failedAttempts: number;
  givenUp: number;
}

/**
 * The seed's producer-side confirm server: a producer registers a URL and the broker POSTs each of its receipts there
 * as JSON, in order, retrying a failed POST up to 5 times (6 attempts, backoff from 200 ms) before giving up on that
 * receipt. The position is kept in metadata, so delivery resumes after a restart (at least once: a receipt may be
 * posted again if the broker stops between the POST and saving the position).
 */
export class CallbackDispatcher {
  private readonly loops = new Map<string, AbortController>();
  readonly stats: CallbackStats = {delivered: 0, failedAttempts: 0, givenUp: 0};

  constructor(
    private readonly broker: Broker,
    private readonly receipts: Receipts,
  ) {}

  start(): void {
    for (const [key] of this.broker.store.listMeta(KEY)) this.spawn(key.slice(KEY.length));
  }

  get(producer: string): Registration | undefined {
    const raw = this.broker.store.getMeta(KEY + producer);
    return raw ? (JSON.parse(raw) as Registration) : undefined;
  }

  register(producer: string, url: string, from: 'latest' | 'earliest'): Registration {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new MqError('INVALID_FIELD', `callback url ${JSON.stringify(url)} is not a URL`, {field: 'url'});
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new MqError('INVALID_FIELD', 'callback urls are http or https', {field: 'url'});
    const log = this.receipts.partitionFor(producer);
    const existing = this.get(producer);
    const reg: Registration = {url: u.toString(), cursor: existing?.cursor ?? (from === 'latest' ? log.highWatermark : log.logStart)};
    this.broker.store.putMeta(KEY + producer, JSON.stringify(reg));
    this.stop(producer);
    this.spawn(producer);
    return reg;
  }

  unregister(producer: string): void {
    this.stop(producer);
    this.broker.store.deleteMeta(KEY + producer);
  }

  private stop(producer: string): void {
    this.loops.get(producer)?.abort();
    this.loops.delete(producer);
  }

  stopAll(): void {
    for (const p of [...this.loops.keys()]) this.stop(p);
  }

  private spawn(producer: string): void {
    const ac = new AbortController();
    this.loops.set(producer, ac);
    void this.loop(producer, ac.signal).catch((err: unknown) => this.broker.logger.error({err, producer}, 'receipt callback loop failed'));
  }

  private async loop(producer: string, signal: AbortSignal): Promise<void> {
    while (!signal.aborted && !this.broker.isClosing) {
      const reg = this.get(producer);
      if (!reg) return;
      const page = await this.receipts.read(producer, reg.cursor, 100, 5000, signal);
      for (const r of page.receipts) {
        if (signal.aborted) return;
        const ok = await this.post(reg.url, r, signal);
        if (ok) this.stats.delivered++;
        else {
          this.stats.givenUp++;
          this.broker.logger.warn({producer, url: reg.url, receipt: r.cursor}, `receipt callback failed ${CALLBACK_ATTEMPTS} times; skipping it`);
        }
        reg.cursor = r.cursor + 1;
        if (this.get(producer)) this.broker.store.putMeta(KEY + producer, JSON.stringify(reg));
      }
      if (page.receipts.length === 0 && page.nextCursor > reg.cursor && this.get(producer)) {
        reg.cursor = page.nextCursor;
        this.broker.store.putMeta(KEY + producer, JSON.stringify(reg));
      }
    }
  }

  private async post(url: string, body: unknown, signal: AbortSignal): Promise<boolean> {
    let backoff = 200;
    for (let attempt = 1; attempt <= CALLBACK_ATTEMPTS && !signal.aborted; attempt++) {
      try {
        const res = await fetch(url, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(body), signal: AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)])});
        await res.arrayBuffer();
        if (res.status >= 200 && res.status < 300) return true;
      } catch {
        // counted below; the next attempt may succeed
      }
      this.stats.failedAttempts++;
      if (attempt < CALLBACK_ATTEMPTS) await new Promise((r) => setTimeout(r, backoff));
      backoff *= 2;
    }
    return false;
  }
}
