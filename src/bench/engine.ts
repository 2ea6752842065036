import {LatencyHistogram, type LatencySummary} from './histogram.js';
import {consumeLoop, produceLoop, RunState, type ClientStats} from './load.js';
import type {BenchOptions} from './options.js';
import {PayloadMaker} from './payload.js';
import type {BenchTarget, TargetConsumer} from './target.js';

export interface PhaseResult {
  /** produce, consume, e2e, fetch+ack, produce->processed, prefill */
  phase: string;
  messages: number;
  bytes: number;
  seconds: number;
  msgsPerSec: number;
  mbPerSec: number;
  errors: number;
  firstError?: string;
  /** What `latency` measures: request (a batch's round trip), poll, end-to-end (send time to receipt), processed. */
  latencyOf: 'request' | 'poll' | 'end-to-end' | 'processed';
  latency: LatencySummary;
  /** Fixed-rate mode: the service time alone (what a client that waits for each answer would report). */
  uncorrected?: LatencySummary;
  clients: ClientStats[];
}

export interface WorkloadResult {
  workload: BenchOptions['workload'];
  target: string;
  targetDescription: string;
  phases: PhaseResult[];
  /** failover only: kill -> new leader and kill -> writable, and the loss check. */
  failover?: Record<string, number>;
}

export interface EngineHooks {
  /** Called when a phase starts: a live view polls `state` (messages done, total, elapsed). */
  phaseStarted?: (phase: string, state: RunState) => void;
  phaseEnded?: (phase: string) => void;
}

/** How long consumers keep draining after producers stop (e2e), and a poll's long-poll wait. */
const DRAIN_MS = 5000;
const POLL_WAIT_MS = 100;

function phase(name: string, latencyOf: PhaseResult['latencyOf'], state: RunState, clients: ClientStats[], hist: LatencyHistogram, size: number, uncorrected?: LatencyHistogram): PhaseResult {
  const seconds = state.elapsedMs / 1000;
  const messages = clients.reduce((n, c) => n + c.messages, 0);
  const bytes = messages * size;
  return {
    phase: name,
    messages,
    bytes,
    seconds,
    msgsPerSec: messages / seconds,
    mbPerSec: bytes / seconds / 1e6,
    errors: state.errors,
    ...(state.firstError ? {firstError: state.firstError} : {}),
    latencyOf,
    latency: hist.summary(),
    ...(uncorrected ? {uncorrected: uncorrected.summary()} : {}),
    clients,
  };
}

/** Produces `total` (or for the options' duration) with the options' producers; one histogram over all of them. */
async function producePhase(name: string, o: BenchOptions, t: BenchTarget, total: number | undefined, durationMs: number | undefined, hooks: EngineHooks, batch = o.batch): Promise<PhaseResult> {
  // at a fixed rate a duration is a message count: stopping at the deadline would drop exactly the sends a stall
  // delayed past it, which is the coordinated omission this mode exists to avoid
  if (o.rate && durationMs !== undefined && total === undefined) {
    total = Math.max(1, Math.round((o.rate * durationMs) / 1000));
    durationMs = undefined;
  }
  const state = new RunState(total, durationMs);
  hooks.phaseStarted?.(name, state);
  const producers = await Promise.all(Array.from({length: o.producers}, (_, i) => t.producer(i)));
  const hist = new LatencyHistogram();
  const uncorrected = o.rate ? new LatencyHistogram() : undefined;
  const perProducerRps = o.rate ? o.rate / o.producers / batch : undefined;
  try {
    const clients = await Promise.all(
      producers.map((p, i) => {
        const h = new LatencyHistogram();
        const u = uncorrected ? new LatencyHistogram() : undefined;
        return produceLoop(i, p, new PayloadMaker(o.size, o.keys), {batch, requestsPerSec: perProducerRps, state}, h, u).then((s) => {
          hist.add(h);
          if (u) uncorrected!.add(u);
          return s;
        });
      }),
    );
    return phase(name, 'request', state, clients, hist, o.size, uncorrected);
  } finally {
    hooks.phaseEnded?.(name);
    await Promise.all(producers.map((p) => p.close()));
  }
}

async function consumePhase(name: string, o: BenchOptions, consumers: TargetConsumer[], role: 'consumer' | 'worker', total: number, hooks: EngineHooks): Promise<PhaseResult> {
  const state = new RunState(total, undefined);
  hooks.phaseStarted?.(name, state);
  const hist = new LatencyHistogram();
  try {
    const clients = await Promise.all(
      consumers.map((c, i) => {
        const h = new LatencyHistogram();
        return consumeLoop(i, c, {role, fetchMax: o.fetchMax, waitMs: POLL_WAIT_MS, target: () => state.done >= total, state, endToEnd: false}, h).then((s) => (hist.add(h), s));
      }),
    );
    return phase(name, 'poll', state, clients, hist, o.size);
  } finally {
    hooks.phaseEnded?.(name);
    await Promise.all(consumers.map((c) => c.close()));
  }
}

/** Fills the log before a consume or queue run (1,000 messages per request; not what is measured). */
async function prefill(o: BenchOptions, t: BenchTarget, hooks: EngineHooks): Promise<PhaseResult> {
  return producePhase('prefill', {...o, rate: undefined}, t, o.messages!, undefined, hooks, Math.max(o.batch, 1000));
}

async function e2e(o: BenchOptions, t: BenchTarget, hooks: EngineHooks): Promise<PhaseResult[]> {
  const consumers = await Promise.all(Array.from({length: o.consumers}, (_, i) => t.consumer(i, o.consumers, 'end')));
  const hist = new LatencyHistogram();
  const state = new RunState(undefined, undefined);
  let produced = Number.POSITIVE_INFINITY;
  let drainUntil = Number.POSITIVE_INFINITY;
  const reading = Promise.all(
    consumers.map((c, i) => {
      const h = new LatencyHistogram();
      const target = (): boolean => state.done >= produced || performance.now() > drainUntil;
      return consumeLoop(i, c, {role: 'consumer', fetchMax: o.fetchMax, waitMs: POLL_WAIT_MS, target, state, endToEnd: true}, h).then((s) => (hist.add(h), s));
    }),
  );
  try {
    const sent = await producePhase('produce', o, t, o.messages, o.durationMs, hooks);
    produced = sent.messages;
    drainUntil = performance.now() + DRAIN_MS;
    const clients = await reading;
    const received = phase('e2e', 'end-to-end', state, clients, hist, o.size);
    // throughput of the e2e phase is the producers' (the consumers waited for them)
    return [sent, {...received, seconds: sent.seconds, msgsPerSec: received.messages / sent.seconds, mbPerSec: received.bytes / sent.seconds / 1e6}];
  } finally {
    await Promise.all(consumers.map((c) => c.close()));
  }
}

async function processed(o: BenchOptions, t: BenchTarget, hooks: EngineHooks): Promise<PhaseResult | undefined> {
  if (!t.processedRoundTrip || o.latencyCount <= 0) return undefined;
  const rt = await t.processedRoundTrip();
  const state = new RunState(o.latencyCount, undefined);
  hooks.phaseStarted?.('produce->processed', state);
  const hist = new LatencyHistogram();
  const maker = new PayloadMaker(o.size, {kind: 'none'});
  let errors = 0;
  try {
    for (let i = 0; i < o.latencyCount; i++) {
      const s = performance.now();
      try {
        await rt.send(maker.message().value);
        hist.record(performance.now() - s);
        state.done++;
      } catch (error) {
        state.fail(error);
        if (++errors >= 10) break;
      }
    }
  } finally {
    hooks.phaseEnded?.('produce->processed');
    await rt.close();
  }
  const client: ClientStats = {role: 'producer', index: 0, messages: state.done, bytes: state.done * o.size, errors, seconds: state.elapsedMs / 1000, latency: hist.summary()};
  return phase('produce->processed', 'processed', state, [client], hist, o.size);
}

/** Runs one workload (all but failover, which needs its own cluster) against a target. */
export async function runWorkload(o: BenchOptions, t: BenchTarget, hooks: EngineHooks = {}): Promise<WorkloadResult> {
  await t.prepare({topic: o.topic, partitions: o.partitions, queue: o.workload === 'queue'});
  const result = (phases: PhaseResult[]): WorkloadResult => ({workload: o.workload, target: t.name, targetDescription: t.describe(), phases});
  switch (o.workload) {
    case 'produce':
      return result([await producePhase('produce', o, t, o.messages, o.durationMs, hooks)]);
    case 'e2e':
      return result(await e2e(o, t, hooks));
    case 'consume': {
      if (o.messages === undefined) throw new Error('consume needs a message count (--messages): the log is filled with that many first');
      const fill = await prefill(o, t, hooks);
      const consumers = await Promise.all(Array.from({length: o.consumers}, (_, i) => t.consumer(i, o.consumers, 'start')));
      return result([fill, await consumePhase('consume', o, consumers, 'consumer', fill.messages, hooks)]);
    }
    case 'queue': {
      if (o.messages === undefined) throw new Error('queue needs a message count (--messages): the queue is filled with that many first');
      const fill = await prefill(o, t, hooks);
      const workers = await Promise.all(Array.from({length: o.consumers}, (_, i) => (t.worker ? t.worker(i) : t.consumer(i, o.consumers, 'start'))));
      const phases = [fill, await consumePhase('fetch+ack', o, workers, 'worker', fill.messages, hooks)];
      const p = await processed(o, t, hooks);
      if (p) phases.push(p);
      return result(phases);
    }
    case 'failover':
      throw new Error('failover runs its own cluster: use runFailoverWorkload');
  }
}
