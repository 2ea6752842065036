import {sleep} from '../../../src/bench/local-cluster.js';
import {SeededRandom} from '../../../src/util/random.js';
import type {ChaosCluster} from '../lib/chaos-cluster.js';
import type {History} from '../lib/history.js';
import type {Http, Outcome} from '../lib/http.js';

/** What every workload shares: the cluster, the history, the HTTP client, a seed, and a switch to stop it. */
export class WorkloadContext {
  private stopped = false;
  /** Leaves the fault-prone part of the run: workloads that drain switch to tidy behaviour (ack everything). */
  draining = false;

  constructor(
    readonly cluster: ChaosCluster,
    readonly history: History,
    readonly http: Http,
    readonly seed: number,
  ) {}

  get running(): boolean {
    return !this.stopped;
  }

  stop(): void {
    this.stopped = true;
  }

  /** A PRNG of its own for each worker, so that one worker's choices do not depend on another's timing. */
  random(stream: number): SeededRandom {
    return new SeededRandom((this.seed * 7919 + stream * 104_729) >>> 0);
  }

  /**
   * A broker for the next request, as a client that knows the cluster's addresses would pick one: any broker whose
   * process exists (a stopped one too: a client cannot tell it is stopped), never one that is down (a client's
   * connection would be refused at once, which is `fail`, and it would move on).
   */
  pick(random: SeededRandom): number | undefined {
    const up = this.cluster.ids.filter((id) => this.cluster.running(id));
    return up.length === 0 ? undefined : up[random.int(0, up.length - 1)];
  }

  /** One operation: invoke, send, complete with the outcome's type. `answer` maps an ok body to the history value. */
  async op(f: string, req: unknown, node: number, send: () => Promise<Outcome>, answer: (o: Outcome) => unknown = (o) => o.body): Promise<Outcome> {
    const p = this.history.process();
    this.history.invoke(p, f, req, node);
    const out = await send();
    // only a 416 claims where the log ends; a retriable 503 from a replica that may be behind carries its bound too
    const claimsEnd = out.status === 416 && out.details?.high_watermark !== undefined;
    this.history.complete(p, out.type, out.type === 'ok' ? answer(out) : claimsEnd ? {hw: out.details!.high_watermark} : undefined, out.error);
    return out;
  }

  async pause(ms: number): Promise<void> {
    if (this.running) await sleep(ms);
  }
}
