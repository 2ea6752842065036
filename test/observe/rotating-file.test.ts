import fs from 'node:fs';
import path from 'node:path';
import {pino} from 'pino';
import {afterAll, describe, expect, it} from 'vitest';
import {RotatingFile} from '../../src/observe/rotating-file.js';
import {tempDir} from '../helpers/broker.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, {recursive: true, force: true})));

/** Every line of <file>, <file>.1 ... oldest first, parsed. */
function readAll(file: string, keep: number): Array<{n: number}> {
  const files = [...Array.from({length: keep}, (_, i) => `${file}.${keep - i}`), file].filter((f) => fs.existsSync(f));
  return files.flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as {n: number}));
}

describe('log rotation - size-based, in this process', () => {
  it('rotates past the size limit and loses nothing: every line is whole, in order, exactly once', async () => {
    const dir = tempDir('mq-logrot-');
    dirs.push(dir);
    const file = path.join(dir, 'broker.log');
    const dest = new RotatingFile({file, bytesMax: 4096, keep: 100});
    const log = pino({base: null}, dest);
    // several event-loop turns, with several lines in each (one write per turn)
    for (let n = 0; n < 2000; n++) {
      log.info({n, pad: 'x'.repeat(n % 50)}, 'line');
      if (n % 7 === 0) await new Promise((r) => setImmediate(r));
    }
    dest.end();
    expect(dest.rotations).toBeGreaterThan(10);
    expect(fs.existsSync(`${file}.1`)).toBe(true);
    const lines = readAll(file, 100);
    expect(lines.map((l) => l.n)).toEqual(Array.from({length: 2000}, (_, i) => i));
    // a rotated file stops at the first write that took it past the limit: never more than one turn over it
    for (let i = 1; fs.existsSync(`${file}.${i}`); i++) expect(fs.statSync(`${file}.${i}`).size).toBeGreaterThanOrEqual(4096);
  });

  it('keeps only the newest rotated files', () => {
    const dir = tempDir('mq-logrot-');
    dirs.push(dir);
    const file = path.join(dir, 'b.log');
    const dest = new RotatingFile({file, bytesMax: 100, keep: 3});
    for (let n = 0; n < 50; n++) {
      dest.write(`${JSON.stringify({n, pad: 'y'.repeat(80)})}\n`);
      dest.flushSync();
    }
    dest.end();
    expect(fs.readdirSync(dir).sort()).toEqual(['b.log', 'b.log.1', 'b.log.2', 'b.log.3']);
    // the newest lines survive, in order, ending with the last one written
    const ns = readAll(file, 3).map((l) => l.n);
    expect(ns.at(-1)).toBe(49);
    expect(ns).toEqual(Array.from({length: ns.length}, (_, i) => 50 - ns.length + i));
  });

  it('appends to an existing file and counts its size', () => {
    const dir = tempDir('mq-logrot-');
    dirs.push(dir);
    const file = path.join(dir, 'c.log');
    fs.writeFileSync(file, 'x'.repeat(95) + '\n');
    const dest = new RotatingFile({file, bytesMax: 100, keep: 2});
    dest.write('{"n":1}\n');
    dest.end();
    expect(fs.readFileSync(`${file}.1`, 'utf8')).toBe('x'.repeat(95) + '\n{"n":1}\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('');
  });
});
