import type {BenchMessage} from './target.js';

export type KeyDistribution = {kind: 'none'} | {kind: 'unique'} | {kind: 'uniform'; keys: number};

/** none | unique | uniform:N (N keys, each message picks one at random) */
export function parseKeys(spec: string): KeyDistribution {
  if (spec === 'none') return {kind: 'none'};
  if (spec === 'unique') return {kind: 'unique'};
  const m = /^uniform:(\d+)$/.exec(spec);
  if (m && Number(m[1]) > 0) return {kind: 'uniform', keys: Number(m[1])};
  throw new Error(`keys must be none, unique or uniform:N (got ${JSON.stringify(spec)})`);
}

export function describeKeys(k: KeyDistribution): string {
  return k.kind === 'uniform' ? `uniform:${k.keys}` : k.kind;
}

/** The smallest value: a JSON string with a 16-digit send time and a separator. */
export const MIN_SIZE = 20;

/**
 * Messages of exactly `size` bytes: a JSON string whose first characters carry the time the message was meant to be
 * sent (µs since the epoch, for end-to-end latency), padded with letters. The same bytes go to every system.
 */
export class PayloadMaker {
  private readonly pad: string;
  private seq = 0;

  constructor(
    readonly size: number,
    private readonly keys: KeyDistribution,
    private readonly random: () => number = Math.random,
  ) {
    if (size < MIN_SIZE) throw new Error(`message size must be at least ${MIN_SIZE} bytes`);
    this.pad = 'x'.repeat(size);
  }

  message(stampUs = 0): BenchMessage {
    const head = String(Math.round(stampUs)).padStart(16, '0');
    const value = `"${head}:${this.pad.slice(0, this.size - 19)}"`;
    return {value, key: this.key()};
  }

  batch(n: number, stampUs = 0): BenchMessage[] {
    const out = new Array<BenchMessage>(n);
    for (let i = 0; i < n; i++) out[i] = this.message(stampUs);
    return out;
  }

  private key(): string | undefined {
    switch (this.keys.kind) {
      case 'none':
        return undefined;
      case 'unique':
        return `k${this.seq++}`;
      case 'uniform':
        return `k${Math.floor(this.random() * this.keys.keys)}`;
    }
  }
}

/** The send time (µs since the epoch) a value carries; NaN when it carries none. */
export function stampOf(value: string): number {
  const start = value.charCodeAt(0) === 0x22 ? 1 : 0;
  return Number(value.slice(start, start + 16));
}

/** Wall-clock µs with sub-millisecond resolution (all clients of a run share this process's clock). */
export function nowUs(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}
