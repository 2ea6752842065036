import {readdirSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {describe, expect, test} from 'vitest';
import {parseCommand, parseFile, rewriteFile} from './harness/datadriven.js';
import {ScenarioCluster} from './harness/scenario-cluster.js';

/**
 * Golden-trace scenarios (etcd's testdata style): each file in testdata/ is a script whose expected output is
 * the exact sequence of Readies and messages. MQ_REWRITE=1 regenerates the outputs; review that diff line by line.
 */
const dir = fileURLToPath(new URL('./testdata/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();

describe('raft scenarios', () => {
  test('there are scenarios to run', () => {
    expect(files.length).toBeGreaterThanOrEqual(9);
  });

  for (const file of files) {
    const path = dir + file;
    const blocks = parseFile(path);
    const title = blocks[0]?.comments[0]?.replace(/^#\s*/, '') ?? file;
    test(`${file}: ${title}`, () => {
      const cluster = new ScenarioCluster();
      const actual = blocks.map((b) => cluster.run(parseCommand(b.command)).join('\n') || 'ok');
      if (process.env['MQ_REWRITE'] === '1') {
        rewriteFile(path, blocks, actual);
        return;
      }
      blocks.forEach((b, i) => expect(actual[i], `${file}:${b.line} ${b.command}`).toBe(b.expected));
    });
  }
});
