import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';
import {tempDir} from '../helpers/broker.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs loadClusterSecret in a separate process (the race is between processes) and prints the secret it got. */
function load(secretFile: string, dataDir: string): Promise<{code: number | null; out: string}> {
  const script = `import {loadClusterSecret} from ${JSON.stringify(path.join(ROOT, 'dist/src/cluster/bootstrap.js'))};
process.stdout.write(loadClusterSecret({dataDir: ${JSON.stringify(dataDir)}, secretFile: ${JSON.stringify(secretFile)}, founders: 3}).toString('utf8'));`;
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', script], {stdio: ['ignore', 'pipe', 'pipe']});
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.once('exit', (code) => resolve({code, out}));
  });
}

describe('cluster secret file', () => {
  it('founders started at once on one machine all read the same whole secret (no half-written file)', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'cluster.secret');
    const results = await Promise.all(Array.from({length: 8}, (_, i) => load(file, path.join(dir, `n${i}`))));
    for (const r of results) expect(r.code, r.out).toBe(0);
    const secrets = new Set(results.map((r) => r.out));
    expect(secrets.size).toBe(1);
    expect([...secrets][0]!.length).toBe(64);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
