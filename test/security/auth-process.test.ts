import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {afterAll, describe, expect, test} from 'vitest';
import {mqCommand, runMq} from '../helpers/process.js';
import {tempDir, waitFor} from '../helpers/broker.js';

interface Started {
  url: string;
  kill(): void;
}

/** `mq broker start --in-memory` with these flags (spawnBroker fixes --listen to loopback), once its ready file is there. */
async function startBroker(args: string[]): Promise<Started> {
  const ready = path.join(tempDir('mq-ready-'), 'ready.json');
  const [cmd, ...pre] = mqCommand();
  const proc = spawn(cmd!, [...pre, 'broker', 'start', '--in-memory', '--ready-file', ready, '--log-level', 'warn', ...args], {stdio: ['ignore', 'pipe', 'pipe']});
  let out = '';
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  let exited = false;
  proc.once('exit', () => (exited = true));
  await waitFor(() => {
    if (exited) throw new Error(`broker exited: ${out}`);
    return fs.existsSync(ready);
  }, {timeoutMs: 60_000, what: 'broker ready file'});
  const {url} = JSON.parse(fs.readFileSync(ready, 'utf8')) as {url: string};
  return {url, kill: () => proc.kill('SIGKILL')};
}

const ADMIN = 'process-admin-token-0123456789abc';

/** `mq broker start` and `mq token ...` as a user runs them. */
describe('auth - the broker process and the token commands', () => {
  const started: Started[] = [];
  afterAll(() => {
    for (const b of started) b.kill();
  });

  test('auth - beyond loopback without auth the broker refuses to start; --insecure starts it', async () => {
    const refused = await runMq(['broker', 'start', '--in-memory', '--listen', '0.0.0.0:0', '--log-level', 'silent'], {timeoutMs: 60_000});
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/refusing to listen on 0\.0\.0\.0:0 without authentication/);
    expect(refused.stderr).toMatch(/--admin-token-file|MQ_ADMIN_TOKEN/);
    const b = await startBroker(['--listen', '0.0.0.0:0', '--insecure']);
    started.push(b);
    expect((await fetch(`${b.url}/status`)).status).toBe(200);
  }, 120_000);

  test('auth - with an admin token file beyond loopback: /status needs a token, /health and /ready do not; mq token works', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'admin.token');
    fs.writeFileSync(file, `${ADMIN}\n`, {mode: 0o600});
    const b = await startBroker(['--listen', '0.0.0.0:0', '--admin-token-file', file]);
    started.push(b);
    expect((await fetch(`${b.url}/health`)).status).toBe(200);
    expect((await fetch(`${b.url}/ready`)).status).toBe(200);
    expect((await fetch(`${b.url}/status`)).status).toBe(401);
    expect((await fetch(`${b.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${b.url}/status`, {headers: {authorization: `Bearer ${ADMIN}`}})).status).toBe(200);

    const env = {MQ_URL: b.url, MQ_TOKEN: ADMIN};
    const created = await runMq(['token', 'create', '--name', 'P1', '--grant', 'produce:orders', '--grant', 'consume:orders', '--rate', '1000/s'], {env});
    expect(created.code, created.stderr).toBe(0);
    const secret = created.stdout.split('\n')[0]!;
    expect(secret).toMatch(/^mq_[A-Za-z0-9_-]{43}$/);
    const list = await runMq(['token', 'list', '--json'], {env});
    expect(list.stdout).not.toContain(secret);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({name: 'P1', grants: ['produce:orders', 'consume:orders'], messages_per_s: 1000})]);

    // the client library (the CLI's produce) sends the token
    const produced = await runMq(['produce', 'orders', '{"n":1}'], {env: {MQ_URL: b.url, MQ_TOKEN: secret}});
    expect(produced.code, produced.stderr).toBe(0);
    const denied = await runMq(['produce', 'payments', '1'], {env: {MQ_URL: b.url, MQ_TOKEN: secret}});
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/FORBIDDEN/);
    const anonymous = await runMq(['topic', 'list'], {env: {MQ_URL: b.url}});
    expect(anonymous.stderr).toMatch(/UNAUTHORIZED/);

    expect((await runMq(['token', 'revoke', 'P1'], {env})).code).toBe(0);
    expect((await fetch(`${b.url}/v1/topics/orders/partitions/0/messages`, {headers: {authorization: `Bearer ${secret}`}})).status).toBe(401);
  }, 120_000);
});
