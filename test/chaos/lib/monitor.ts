import {sleep} from '../../../src/bench/local-cluster.js';
import type {ChaosCluster} from './chaos-cluster.js';
import type {History} from './history.js';
import type {Http} from './http.js';
import type {Observation} from './model.js';

export interface ProcessFigures {
  /** Highest RSS any broker reported in /status. */
  maxRssBytes: number;
  /** Highest event-loop delay p99 any broker reported. */
  loopP99Ms: number;
  /** Most bytes an SSE stream ever had queued in its socket (the slow-reader bound). */
  streamQueuedBytesMax: number;
}

/**
 * Samples every running broker that is not stopped, directly (not through its client proxy): its own view of each
 * watched partition's replica (role, term, leader, commit index, high watermark) as `observe` operations, and
 * /status for memory and event-loop figures. The checkers use the observations for one-leader-per-term and for
 * commit indexes that never go back.
 */
export class Monitor {
  readonly figures: ProcessFigures = {maxRssBytes: 0, loopP99Ms: 0, streamQueuedBytesMax: 0};
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly history: History,
    private readonly http: Http,
    private readonly watched: Array<{topic: string; partition: number}>,
    private readonly intervalMs = 200,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    let round = 0;
    while (this.running) {
      await Promise.all(this.cluster.live().map((id) => this.sample(id, round % 5 === 0)));
      round++;
      await sleep(this.intervalMs);
    }
  }

  /** One sample of one broker; also used once more at the end of a run. */
  async sample(id: number, withStatus: boolean): Promise<void> {
    const url = this.cluster.directUrl(id);
    if (!url) return;
    for (const w of this.watched) {
      const incarnation = this.cluster.incarnation.get(id) ?? 0;
      const life = this.cluster.lives.get(id) ?? 0;
      const p = this.history.process();
      this.history.invoke(p, 'observe', {topic: w.topic, partition: w.partition}, id);
      const r = await this.http.request(url, 'GET', `/v1/debug/replica/${w.topic}/${w.partition}?max_messages=1`, {timeoutMs: 1000});
      if (r.type !== 'ok') {
        this.history.complete(p, r.type, undefined, r.error);
        continue;
      }
      const b = r.body as {role: string; term: number; leader: number | null; commit_index: number; high_watermark: number};
      const o: Observation = {topic: w.topic, node: id, incarnation, life, partition: w.partition, role: b.role, term: b.term, leader: b.leader, commit: b.commit_index, hw: b.high_watermark};
      this.history.complete(p, 'ok', o);
    }
    if (!withStatus) return;
    const s = await this.http.request(url, 'GET', '/status', {timeoutMs: 2000});
    if (s.type !== 'ok') return;
    const st = s.body as {process?: {rss_bytes?: number; event_loop_delay_p99_ms?: number}; streams?: {queued_bytes_max?: number}};
    this.figures.maxRssBytes = Math.max(this.figures.maxRssBytes, st.process?.rss_bytes ?? 0);
    this.figures.loopP99Ms = Math.max(this.figures.loopP99Ms, st.process?.event_loop_delay_p99_ms ?? 0);
    this.figures.streamQueuedBytesMax = Math.max(this.figures.streamQueuedBytesMax, st.streams?.queued_bytes_max ?? 0);
  }
}
