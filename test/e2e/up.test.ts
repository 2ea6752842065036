import fs from 'node:fs';
import path from 'node:path';
import {request} from 'undici';
import {afterAll, describe, expect, it} from 'vitest';
import {FAST_TIMINGS} from '../../src/bench/local-cluster.js';
import type {SupervisorState} from '../../src/up/supervisor.js';
import {running} from '../../src/up/up-pid.js';
import {tempDir, waitFor} from '../helpers/broker.js';
import {runMq} from '../helpers/process.js';

/** Pids of live processes whose command line mentions `needle` (Linux /proc): what `mq down` must leave none of. */
function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(needle)) pids.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

async function getJson<T>(url: string): Promise<T> {
  const r = await request(url, {headersTimeout: 5000, bodyTimeout: 5000});
  return (await r.body.json()) as T;
}

interface Replica {
  high_watermark: number;
  messages: Array<{offset: number; id: string | null; crc: number}>;
}

describe('mq up - a supervised local cluster in one command', () => {
  const cwd = tempDir('mq-up-e2e-');
  const dataDir = path.join(cwd, 'mq-cluster');
  // fast elections and lb checks keep the test short; the supervisor passes its environment on to every child
  const env = {...FAST_TIMINGS, MQ_CONFIG_DIR: path.join(cwd, 'config'), MQ_LB_HEALTH_INTERVAL_MS: '200', MQ_LB_HEALTH_TIMEOUT_MS: '200', MQ_URL: '', MQ_CONTEXT: ''};
  const mq = (args: string[], opts: {cwd?: string} = {}) => runMq(args, {cwd: opts.cwd ?? cwd, env, timeoutMs: 60_000});
  const state = (): SupervisorState => JSON.parse(fs.readFileSync(path.join(dataDir, 'up-state.json'), 'utf8')) as SupervisorState;

  afterAll(async () => {
    // only when the test failed half-way
    if (processesMentioning(dataDir).length) await mq(['down', '--timeout', '5s']);
    for (const pid of processesMentioning(dataDir)) process.kill(pid, 'SIGKILL');
    fs.rmSync(cwd, {recursive: true, force: true});
  });

  it('starts 3 brokers and an lb, serves through the context, restarts a killed broker that catches up, and mq down leaves nothing running', async () => {
    const up = await mq(['up', '--brokers', '3', '--lb', '--detach', '--json']);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    const ready = JSON.parse(up.stdout) as {pid: number; url: string; lb: string; brokers: Array<{id: number; url: string}>; context: string};
    expect(ready.url).toBe(ready.lb);
    expect(ready.brokers).toHaveLength(3);

    // ready means ready: every broker serves and the metadata has a leader, before mq up returned
    const cluster = await getJson<{metadata: {leader: number | null}; brokers: unknown[]}>(`${ready.brokers[0]!.url}/v1/cluster`);
    expect(cluster.metadata.leader).not.toBeNull();
    expect(cluster.brokers).toHaveLength(3);

    // produce and consume with no --url: the directory context written by mq up points at the lb
    const produced = await mq(['produce', 'orders', 'o1', 'o2', 'o3']);
    expect(produced.code, produced.stderr).toBe(0);
    const consumed = await mq(['consume', 'orders', '--max', '3', '--timeout', '10s', '--json']);
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.stdout.trim().split('\n').map((l) => JSON.parse(l).value).sort()).toEqual(['o1', 'o2', 'o3']);
    // from any other directory, the named context it saved
    // kill -9 one broker: the supervisor restarts it, and it catches up with what was written meanwhile
    const before = state();
    const victim = before.children.find((c) => c.name === 'broker-2')!;
    process.kill(victim.pid!, 'SIGKILL');
    // through the lb, which moves requests off the dead broker (with ids: safe to repeat on another broker)
    for (const value of ['o4', 'o5']) {
      const r = await request(`${ready.lb}/v1/topics/orders/messages`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({value, id: value})});
      expect(r.statusCode, await r.body.text()).toBe(200);
    }
    const restarted = () => state().children.find((c) => c.name === 'broker-2' && c.state === 'running' && c.restarts === 1);
    await waitFor(restarted, {timeoutMs: 20_000, what: 'broker-2 restarted'});
    const after = restarted()!;
    expect(after.pid).not.toBe(victim.pid);
    expect(after.last_exit).toMatchObject({signal: 'SIGKILL'});
    const partitions = (await getJson<{partitions: Array<{topic: string; partition: number; leader_url: string | null}>}>(`${ready.brokers[0]!.url}/v1/cluster`)).partitions.filter((p) => p.topic === 'orders');
    expect(partitions.length).toBeGreaterThan(0);
    await waitFor(
      async () => {
        let total = 0;
        for (const p of partitions) {
          const path_ = `/v1/debug/replica/orders/${p.partition}?offset=0&max_messages=1000`;
          const [mine, leader] = await Promise.all([getJson<Replica>(`${after.url}${path_}`), getJson<Replica>(`${ready.brokers[0]!.url}${path_}`)]);
          if (JSON.stringify(mine.messages.map((m) => m.crc)) !== JSON.stringify(leader.messages.map((m) => m.crc))) return false;
          total += mine.messages.length;
        }
        return total >= 5;
      },
      {timeoutMs: 20_000, what: 'broker-2 has every message again'},
    );

    // mq status from another directory, through the named context mq up saved: the supervisor's children and the restart
    const status = await mq(['status', '--context', ready.context], {cwd: path.join(cwd, 'config')});
    expect(status.stdout).toMatch(/broker-2\s+running\s+\d+\s+http:\S+\s+1\s+SIGKILL/);
    expect(status.stdout).toContain('1 restart(s)');

    // mq down: graceful, and nothing is left: not the supervisor, not the old or new brokers, not the lb
    const pids = [ready.pid, victim.pid!, ...state().children.map((c) => c.pid!)];
    const down = await mq(['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain('data kept');
    expect(pids.filter(running)).toEqual([]);
    expect(processesMentioning(dataDir)).toEqual([]);
    expect(state().children.map((c) => [c.name, c.state, c.last_exit?.code])).toEqual([
      ['broker-1', 'stopped', 0],
      ['broker-2', 'stopped', 0],
      ['broker-3', 'stopped', 0],
      ['lb', 'stopped', 0],
    ]);
  }, 90_000);
});
