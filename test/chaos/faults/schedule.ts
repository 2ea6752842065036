import {SeededRandom} from '../../../src/util/random.js';

/** Every fault the nemesis knows. Each is applied for a step's duration and then healed. */
export const FAULT_KINDS = [
  'kill-leader',
  'kill-follower',
  'kill-all',
  'pause-leader',
  'pause-follower',
  'isolate-leader',
  'partition-random',
  'oneway-leader',
  'peer-delay',
  'peer-flaky',
  'client-flaky',
  'client-blackhole',
  'clock-jump',
  'disk-full',
  'bitflip',
  'truncate-wal',
  'wipe',
  // positive control: the leader is cut off for a moment (it still thinks it leads), then killed
  'isolate-then-kill-leader',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Step {
  /** When the fault starts, in ms from the start of the run. */
  atMs: number;
  kind: FaultKind;
  durationMs: number;
  /** A number in [0, 1) the fault uses for its own choices (a clock jump's size and sign, a partition's shape). */
  choice: number;
}

export interface ScheduleOptions {
  seed: number;
  durationMs: number;
  faults: readonly FaultKind[];
  /** No fault starts before this or in the last `quietMs` of the run. */
  warmupMs: number;
  quietMs: number;
  faultMs: [number, number];
  gapMs: [number, number];
}

/**
 * The fault schedule is a pure function of the seed and the options: the same seed gives the same steps, so a run
 * that found something can be replayed (`npm run chaos -- --seed N ...`). Which broker a step hits (the leader of
 * the moment) is decided when it runs and written into the history.
 */
export function schedule(o: ScheduleOptions): Step[] {
  const random = new SeededRandom(o.seed);
  const steps: Step[] = [];
  if (o.faults.length === 0) return steps;
  for (let t = o.warmupMs; ; ) {
    const kind = o.faults[random.int(0, o.faults.length - 1)]!;
    const durationMs = random.int(o.faultMs[0], o.faultMs[1]);
    if (t + durationMs > o.durationMs - o.quietMs) break;
    steps.push({atMs: t, kind, durationMs, choice: random.next()});
    t += durationMs + random.int(o.gapMs[0], o.gapMs[1]);
  }
  return steps;
}
