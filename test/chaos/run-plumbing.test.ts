import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {checkCluster, checkServed} from './checkers/cluster.js';
import {checkLog} from './checkers/log.js';
import {schedule, type ScheduleOptions} from './faults/schedule.js';
import type {FinalLog} from './lib/model.js';
import type {MatrixRow} from './matrix.js';
import {doneRows, rowLine, writeRow} from './report.js';
import {DEFAULTS, summarize, type RunFigures, type RunOptions} from './result.js';

const plan: ScheduleOptions = {seed: 7, durationMs: 60_000, faults: ['kill-leader', 'pause-leader', 'isolate-leader'], warmupMs: 2000, quietMs: 2000, faultMs: [2000, 6000], gapMs: [1000, 4000]};

describe('chaos - seeded schedules', () => {
  it('the same seed gives the same steps (a run replays)', () => {
    expect(schedule(plan)).toEqual(schedule({...plan}));
    expect(schedule(plan)).not.toEqual(schedule({...plan, seed: 8}));
  });

  it('every step lies between the warm-up and the quiet end, one at a time, within its bounds', () => {
    const steps = schedule(plan);
    expect(steps.length).toBeGreaterThan(3);
    let end = plan.warmupMs;
    for (const s of steps) {
      expect(s.atMs).toBeGreaterThanOrEqual(end);
      expect(s.durationMs).toBeGreaterThanOrEqual(plan.faultMs[0]);
      expect(s.durationMs).toBeLessThanOrEqual(plan.faultMs[1]);
      expect(plan.faults).toContain(s.kind);
      end = s.atMs + s.durationMs;
    }
    expect(end).toBeLessThanOrEqual(plan.durationMs - plan.quietMs);
  });

  it('no faults, no steps (the fsync audit rows)', () => {
    expect(schedule({...plan, faults: []})).toEqual([]);
  });
});

const final: FinalLog = {committed: new Map([[0, []]]), replicas: [], replicationFactor: 3, complete: true};
const figures = (f: Partial<RunFigures> = {}): RunFigures => ({
  converged: true,
  crashes: [],
  nemesis: {faults: 1, failoverMs: [300, 100, 200], skipped: [], damage: []},
  process: {maxRssBytes: 100 * 1024 * 1024, loopP99Ms: 12.34, streamQueuedBytesMax: 0},
  wallMs: 1000,
  pending: 0,
  downAtEnd: [],
  ...f,
});
const options = (o: Partial<RunOptions> = {}): RunOptions => ({...DEFAULTS, name: 'x', outDir: '/nonexistent', command: 'npm run chaos -- --row x --seed 1', ...o});
const reports = {log: checkLog([], final), cluster: checkCluster([], final), served: checkServed([], final.committed)};

describe('chaos - run verdicts', () => {
  it('a clean run passes, with its figures', () => {
    const r = summarize(options(), reports, figures());
    expect(r).toMatchObject({anomalous: false, ok: true, anomalies: {}});
    expect(r.figures).toMatchObject({failoverMsMax: 300, failoverMsMedian: 200, maxRssMb: 100, loopP99Ms: 12.3});
  });

  it('a cluster that does not converge, or a broker that never came back, is an anomaly', () => {
    expect(summarize(options(), reports, figures({converged: false})).anomalies).toEqual({'cluster.not-converged': 1});
    expect(summarize(options(), reports, figures({downAtEnd: [2]})).anomalies).toEqual({'brokers.not-recovered': 1});
    expect(summarize(options(), reports, figures({crashes: [{node: 1, code: 1, output: 'boom'}]})).ok).toBe(false);
  });

  it('a positive control is ok only when the checker finds something', () => {
    expect(summarize(options({expect: 'fail'}), reports, figures()).ok).toBe(false);
    const bad = summarize(options({expect: 'fail'}), reports, figures({downAtEnd: [1]}));
    expect(bad).toMatchObject({anomalous: true, ok: true});
  });
});

describe('chaos - the matrix table in docs/reliability.md', () => {
  it('rows are written as they finish, replaced when run again, kept in matrix order, and resumed', () => {
    const doc = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mq-chaos-doc-')), 'reliability.md');
    fs.writeFileSync(doc, '# Reliability\n\nprose before\n\n<!-- matrix:begin -->\n<!-- matrix:end -->\n\nprose after\n');
    const row = (id: string): MatrixRow => ({id, title: `title ${id}`, options: {}});
    const order = ['a', 'b', 'c'];
    writeRow(doc, order, rowLine(row('c'), summarize(options({name: 'c'}), reports, figures())));
    writeRow(doc, order, rowLine(row('a'), summarize(options({name: 'a'}), reports, figures({converged: false}))));
    writeRow(doc, order, rowLine(row('a'), summarize(options({name: 'a'}), reports, figures())));
    const text = fs.readFileSync(doc, 'utf8');
    expect(text).toContain('prose before');
    expect(text).toContain('prose after');
    const lines = text.split('\n').filter((l) => /^\| [a-c] \|/.test(l));
    expect(lines.map((l) => l.split('|')[1]!.trim())).toEqual(['a', 'c']);
    expect(lines[0]).toContain('| pass |');
    expect(doneRows(doc)).toEqual(new Set(['a', 'c']));
  });
});
