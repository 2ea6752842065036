import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {MqClient} from '../../src/client/index.js';
import {tempDir, waitFor} from '../helpers/broker.js';
import {mqCommand} from '../helpers/process.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, {recursive: true, force: true})));

describe('broker logs - --log-file rotates by size in the broker process', () => {
  it('rotates while the broker runs and loses no line across rotations', async () => {
    const dir = tempDir('mq-logs-');
    dirs.push(dir);
    const logFile = path.join(dir, 'broker.log');
    const readyFile = path.join(dir, 'ready.json');
    const [cmd, ...pre] = mqCommand();
    const args = [...pre, 'broker', 'start', '--data-dir', path.join(dir, 'data'), '--listen', '127.0.0.1:0', '--ready-file', readyFile, '--log-file', logFile, '--log-level', 'info'];
    // the settings have no flags: environment (or the config file) sets them
    const proc = spawn(cmd!, args, {env: {...process.env, MQ_LOG_FILE_BYTES_MAX: '1024', MQ_LOG_FILES_KEEP: '100'}, stdio: ['ignore', 'pipe', 'pipe']});
    let output = '';
    proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    try {
      await waitFor(() => fs.existsSync(readyFile), {what: `the broker to be ready: ${output}`, timeoutMs: 30_000});
      const {url} = JSON.parse(fs.readFileSync(readyFile, 'utf8')) as {url: string};
      const client = new MqClient({url});
      // one "topic created" line each; ten at a time, so several lines share one write
      for (let i = 0; i < 80; i += 10) await Promise.all(Array.from({length: 10}, (_, k) => client.createTopic({name: `t${i + k}`})));
      await client.close();
    } finally {
      proc.kill('SIGTERM');
    }
    expect(await exited, output).toBe(0);

    const rotated = fs.readdirSync(dir).filter((f) => /^broker\.log\.\d+$/.test(f));
    expect(rotated.length).toBeGreaterThanOrEqual(4);
    const files = [...rotated.map((f) => Number(f.split('.').pop())).sort((x, y) => y - x).map((n) => `${logFile}.${n}`), logFile];
    const lines = files.flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean));
    const records = lines.map((l) => JSON.parse(l) as {msg: string; topic?: string; time: number});
    const created = records.filter((r) => r.msg === 'topic created').map((r) => r.topic);
    expect(created.sort()).toEqual(Array.from({length: 80}, (_, i) => `t${i}`).sort());
    // in order across the files, from start-up to the clean stop
    // start-up lines (elections, internal topics) come before 'broker ready'; none may be missing
    expect(records.slice(0, 10).map((r) => r.msg)).toContain('broker ready');
    expect(records[0]!.msg).toBe('this broker leads the metadata group');
    expect(records.at(-1)!.msg).toBe('broker stopped');
    for (let i = 1; i < records.length; i++) expect(records[i]!.time).toBeGreaterThanOrEqual(records[i - 1]!.time);
  });
});
