import {spawn} from 'node:child_process';
import net from 'node:net';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {startTestBroker, waitFor, type TestBroker} from '../helpers/broker.js';
import {mqCommand, runMq} from '../helpers/process.js';

/** `mq status` as a user runs it (bin/run.js, or the binary with MQ_BIN), against real brokers. */

const DEAD = 'http://127.0.0.1:9';

/** A port nothing listens on right now (taken and released), for a broker that starts later. */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Starts `mq <args>` and collects its output as it comes. */
function startMq(args: string[]) {
  const [cmd, ...pre] = mqCommand();
  const proc = spawn(cmd!, [...pre, ...args], {env: {...process.env, NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'pipe']});
  const out = {stdout: '', stderr: ''};
  proc.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {proc, out, exited};
}

describe('mq status - one or more brokers', () => {
  let a: TestBroker;
  let b: TestBroker;
  beforeAll(async () => {
    [a, b] = await Promise.all([startTestBroker(), startTestBroker({nodeId: 2})]);
    await a.client.produce('orders', [{value: 1}, {value: 2}, {value: 3}]);
  });
  afterAll(async () => {
    await Promise.all([a.stop({purge: true}), b.stop({purge: true})]);
  });

  it('shows one broker in detail: cluster health, traffic, partitions', async () => {
    const r = await runMq(['status', '--url', a.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^cluster {2}single node, healthy, metadata leader 1/m);
    expect(r.stdout).toMatch(/^traffic {2}in \S+ msg\/s/m);
    expect(r.stdout).toMatch(/^orders\s+0\s+1\s+0\s+3\s+3\s/m);
    expect(r.stdout).toMatch(/internal topic\(s\) not shown/);
    // MQ_URL instead of --url (oclif hands a multiple flag from the environment over as one string)
    const env = await runMq(['status', '--json'], {env: {MQ_URL: a.url}});
    expect(env.code, env.stderr).toBe(0);
    expect(JSON.parse(env.stdout)).toMatchObject({schema: 1, node: {id: 1, url: a.url}});
  });

  it('summarises several brokers and marks an unreachable one (exit 4)', async () => {
    const r = await runMq(['status', '--url', a.url, '--url', `${b.url},${DEAD}`]);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/2 of 3 broker\(s\) reachable, 1 unhealthy/);
    expect(r.stdout).toMatch(new RegExp(`✗\\s+${DEAD}\\s+-\\s+UNREACHABLE`));
    expect(r.stdout).toMatch(new RegExp(`✗ ${DEAD}: cannot reach`));
    expect(r.stdout).toMatch(new RegExp(`✓\\s+${b.url}\\s+2\\s+serving`));
    expect(r.stdout).toMatch(/^1\s+orders\s+0\s+1\s+1\/1\s+3\s+3/m);
    const j = await runMq(['status', '--json', '--url', a.url, '--url', DEAD]);
    expect(j.code).toBe(4);
    const doc = JSON.parse(j.stdout);
    expect(doc).toMatchObject({schema: 1, healthy: false});
    expect(doc.brokers[0]).toMatchObject({url: a.url, reachable: true, healthy: true, status: {node: {id: 1}}});
    expect(doc.brokers[1]).toMatchObject({url: DEAD, reachable: false, healthy: false, error: {code: 'UNAVAILABLE'}});
  });

  it('--exit-when-healthy exits 4 at the deadline, saying why', async () => {
    const r = await runMq(['status', '--exit-when-healthy', '--url', DEAD, '--interval', '200ms', '--timeout', '1s']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/still unhealthy after 1s:\n {2}http:\/\/127\.0\.0\.1:9: unreachable/);
  });

  it('--exit-when-healthy waits for a broker that is not up yet, then exits 0', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const run = startMq(['status', '--exit-when-healthy', '--url', url, '--interval', '200ms', '--timeout', '60s']);
    await waitFor(() => run.out.stderr.includes('waiting for 1 of 1 broker(s) to be healthy'), {what: 'mq status to be waiting', timeoutMs: 20_000});
    const late = await startTestBroker({listen: `127.0.0.1:${port}`});
    try {
      expect(await run.exited).toBe(0);
      expect(run.out.stdout).toContain(`at ${url}  serving`);
    } finally {
      await late.stop({purge: true});
    }
  });

  it('--watch without a terminal prints one snapshot after another until interrupted (exit 0)', async () => {
    const run = startMq(['status', '--watch', '--interval', '200ms', '--url', a.url]);
    await waitFor(() => (run.out.stdout.match(/^--- \d{4}-\d\d-\d\dT/gm) ?? []).length >= 2, {what: 'two snapshots', timeoutMs: 20_000});
    run.proc.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(run.out.stdout).not.toContain('\u001B[2J');
  });

  it('--watch --json prints one summary document per line', async () => {
    const run = startMq(['status', '--watch', '--json', '--interval', '200ms', '--url', a.url, '--url', b.url]);
    await waitFor(() => run.out.stdout.split('\n').filter(Boolean).length >= 2, {what: 'two JSON lines', timeoutMs: 20_000});
    run.proc.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    const docs = run.out.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    for (const d of docs) expect(d).toMatchObject({healthy: true, brokers: [{url: a.url}, {url: b.url}]});
  });

  it('mq top refuses to run without a terminal and points to mq status --watch (exit 1)', async () => {
    const r = await runMq(['top', '--url', a.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('mq top needs an interactive terminal');
    expect(r.stderr).toContain('mq status --watch');
  });
});
