import {execFile} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {startBroker, type EmbeddedBroker} from '../../src/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const doc = fs.readFileSync(path.join(ROOT, 'docs/client.md'), 'utf8');
const blocks = [...doc.matchAll(/```ts\n(\/\/ (example|file): (\S+)\n[\s\S]*?)```/g)].map((m) => ({kind: m[2]!, name: m[3]!, code: m[1]!}));

/** Runs one example as a user would: a module importing 'mq' (the package resolves to itself), under tsx. */
function run(file: string, env: Record<string, string>): Promise<{code: number; out: string}> {
  return new Promise((resolve) => {
    execFile(path.join(ROOT, 'node_modules/.bin/tsx'), [file], {cwd: ROOT, env: {...process.env, ...env}, timeout: 30_000}, (err, stdout, stderr) =>
      resolve({code: err ? 1 : 0, out: stdout + stderr}),
    );
  });
}

describe('docs/client.md examples run as written', () => {
  let mq: EmbeddedBroker;
  const dir = path.join(ROOT, 'dist', 'examples');
  beforeAll(async () => {
    mq = await startBroker();
    fs.mkdirSync(dir, {recursive: true});
  });
  afterAll(async () => {
    await mq.stop();
  });

  it('has the examples this test expects', () => {
    expect(blocks.map((b) => b.name)).toEqual(['producer', 'group-consumer', 'offset-consumer', 'admin', 'test/integration/embedded-example.test.ts']);
  });

  for (const b of blocks.filter((x) => x.kind === 'example')) {
    it(`example ${b.name}`, async () => {
      const file = path.join(dir, `${b.name}.ts`);
      fs.writeFileSync(file, b.code);
      const r = await run(file, {MQ_URL: mq.url});
      expect(r.code, r.out).toBe(0);
      if (b.name === 'producer') expect(r.out).toMatch(/^orders\/\d@0$/m);
      if (b.name === 'group-consumer') expect(r.out.trim().split('\n')).toHaveLength(3);
      if (b.name === 'offset-consumer') expect(r.out).toMatch(/offsets \[ 0, 1, 2 \]/);
      if (b.name === 'admin') expect(r.out).toMatch(/as expected: 404/);
    });
  }

  it('the embedded-broker example is the test file CI runs', () => {
    const b = blocks.find((x) => x.kind === 'file')!;
    expect(fs.readFileSync(path.join(ROOT, b.name), 'utf8')).toBe(b.code.split('\n').slice(1).join('\n'));
  });
});
