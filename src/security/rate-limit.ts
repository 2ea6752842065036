import {MqError} from '../errors.js';
import type {Clock} from '../util/clock.js';

/**
 * A token bucket: `ratePerS` tokens a second, holding at most one second's worth. A request of `n` passes when the
 * bucket holds min(n, capacity) (so a batch larger than a second's worth still passes, from a full bucket) and takes
 * `n`, which may leave the bucket in debt that later requests wait out.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly ratePerS: number,
    nowMs: number,
  ) {
    this.tokens = ratePerS;
    this.last = nowMs;
  }

  get capacity(): number {
    return this.ratePerS;
  }

  private refill(nowMs: number): void {
    const elapsed = Math.max(0, nowMs - this.last);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.ratePerS) / 1000);
    this.last = nowMs;
  }

  /** Milliseconds until `n` would pass; 0 if it passes now. Takes nothing. */
  waitMs(n: number, nowMs: number): number {
    this.refill(nowMs);
    const need = Math.min(n, this.capacity);
    return this.tokens >= need ? 0 : Math.ceil(((need - this.tokens) * 1000) / this.ratePerS);
  }

  take(n: number, nowMs: number): void {
    this.refill(nowMs);
    this.tokens -= n;
  }

  available(nowMs: number): number {
    this.refill(nowMs);
    return Math.floor(this.tokens);
  }
}

/** Produce limits of one principal (a token, or a source address without one); 0 or undefined: none. */
export interface RateLimits {
  messagesPerS?: number;
  bytesPerS?: number;
}

interface Entry {
  limits: RateLimits;
  messages?: TokenBucket;
  bytes?: TokenBucket;
  rejected: number;
  lastMs: number;
}

export interface RateLimitStatus {
  principal: string;
  messages_per_s: number | null;
  bytes_per_s: number | null;
  messages_available: number | null;
  bytes_available: number | null;
  rejected: number;
}

/** Buckets kept at most (anonymous sources are unbounded in number): the least recently used go first. */
const ENTRIES_MAX = 10_000;

/**
 * Per-principal produce limits on this broker. Nothing is charged for a refused request (nothing was written). Each
 * broker counts on its own: behind a load balancer over N brokers a principal may reach N times its limits.
 */
export class RateLimiter {
  private readonly entries = new Map<string, Entry>();
  rejected = 0;

  constructor(private readonly clock: Clock) {}

  /** Charges `messages` and `bytes` to `principal`, or throws RATE_LIMITED (Retry-After in whole seconds). */
  charge(principal: string, limits: RateLimits, messages: number, bytes: number): void {
    if (!limits.messagesPerS && !limits.bytesPerS) return;
    const now = this.clock.monotonic();
    const e = this.entry(principal, limits, now);
    const waitMessages = e.messages?.waitMs(messages, now) ?? 0;
    const waitBytes = e.bytes?.waitMs(bytes, now) ?? 0;
    const wait = Math.max(waitMessages, waitBytes);
    if (wait > 0) {
      e.rejected++;
      this.rejected++;
      const retryAfterS = Math.max(1, Math.ceil(wait / 1000));
      const limit = waitMessages >= waitBytes ? 'messages' : 'bytes';
      const rate = limit === 'messages' ? limits.messagesPerS : limits.bytesPerS;
      throw new MqError('RATE_LIMITED', `${principal} is over its limit of ${rate} ${limit}/s on this broker; retry in ${retryAfterS} s`, {limit, rate, retry_after_s: retryAfterS}, false);
    }
    e.messages?.take(messages, now);
    e.bytes?.take(bytes, now);
  }

  private entry(principal: string, limits: RateLimits, now: number): Entry {
    let e = this.entries.get(principal);
    if (e && (e.limits.messagesPerS !== limits.messagesPerS || e.limits.bytesPerS !== limits.bytesPerS)) e = undefined;
    if (!e) {
      e = {
        limits: {...limits},
        messages: limits.messagesPerS ? new TokenBucket(limits.messagesPerS, now) : undefined,
        bytes: limits.bytesPerS ? new TokenBucket(limits.bytesPerS, now) : undefined,
        rejected: this.entries.get(principal)?.rejected ?? 0,
        lastMs: now,
      };
    }
    // re-inserted, so the map's order is least recently used first
    this.entries.delete(principal);
    this.entries.set(principal, e);
    e.lastMs = now;
    while (this.entries.size > ENTRIES_MAX) this.entries.delete(this.entries.keys().next().value!);
    return e;
  }

  /** The most recently active principals' limits and what their buckets hold now. */
  status(max = 100): RateLimitStatus[] {
    const now = this.clock.monotonic();
    return [...this.entries]
      .slice(-max)
      .reverse()
      .map(([principal, e]) => ({
        principal,
        messages_per_s: e.limits.messagesPerS || null,
        bytes_per_s: e.limits.bytesPerS || null,
        messages_available: e.messages ? e.messages.available(now) : null,
        bytes_available: e.bytes ? e.bytes.available(now) : null,
        rejected: e.rejected,
      }));
  }
}
