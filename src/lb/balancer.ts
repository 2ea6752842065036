export type Strategy = 'round-robin' | 'least-in-flight';

/** What the balancer needs to know of an upstream (Upstream satisfies it; tests pass plain objects). */
export interface Candidate {
  readonly url: string;
  readonly eligible: boolean;
  readonly inFlight: number;
  /** Out only because of a passive ejection (its active checks do not say it is down). */
  readonly ejectedOnly?: boolean;
}

/**
 * Picks the upstream for the next attempt. Round-robin walks the list from a cursor; least-in-flight takes the
 * fewest requests in flight, ties broken in the same round-robin order (so equal upstreams still alternate).
 * Upstreams already tried for this request are skipped while an untried one is eligible.
 *
 * When no upstream is eligible the lb does not refuse everything: it falls back to the passively ejected ones, then
 * to all of them (Envoy's "panic" routing; nginx also tries every server once all are marked failed). Every broker's
 * /ready answers 503 during a metadata election, so strict checks alone would turn a one-election-timeout blip into
 * a total outage at the lb; a broker that is really gone refuses the connection, and that request moves on.
 */
export class Balancer {
  private cursor = 0;

  constructor(readonly strategy: Strategy) {}

  pick<T extends Candidate>(list: readonly T[], tried: ReadonlySet<string> = new Set()): T | undefined {
    const n = list.length;
    if (n === 0) return undefined;
    const start = this.cursor % n;
    const ordered: T[] = [];
    for (let i = 0; i < n; i++) ordered.push(list[(start + i) % n]!);
    const pools = [
      ordered.filter((u) => u.eligible && !tried.has(u.url)),
      ordered.filter((u) => u.eligible),
      ordered.filter((u) => u.ejectedOnly && !tried.has(u.url)),
      ordered.filter((u) => u.ejectedOnly),
      ordered.filter((u) => !tried.has(u.url)),
      ordered,
    ];
    const candidates = pools.find((p) => p.length > 0);
    if (!candidates) return undefined;
    let chosen = candidates[0]!;
    if (this.strategy === 'least-in-flight') for (const u of candidates) if (u.inFlight < chosen.inFlight) chosen = u;
    this.cursor = (list.indexOf(chosen) + 1) % n;
    return chosen;
  }
}
