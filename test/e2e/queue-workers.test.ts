import {spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {MqClient} from '../../src/client/index.js';
import {tempDir, waitFor} from '../helpers/broker.js';
import {mqCommand, runMq, spawnBroker, type BrokerChild} from '../helpers/process.js';

/** Starts `mq <args>` in its own process group (so kill -9 takes its --exec children with it). */
function startMq(args: string[], env: Record<string, string>, cwd: string): ChildProcess {
  const [cmd, ...pre] = mqCommand();
  return spawn(cmd!, [...pre, ...args], {cwd, env: {...process.env, ...env}, detached: true, stdio: ['ignore', 'pipe', 'pipe']});
}

describe('work queues with real worker processes', () => {
  let broker: BrokerChild;
  let env: Record<string, string>;
  const cwd = tempDir('mq-workers-');
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    broker = await spawnBroker();
    env = {MQ_URL: broker.url};
  });
  afterAll(async () => {
    for (const c of children) {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    broker.kill('SIGTERM');
    await broker.exited;
  });

  it('a worker killed with -9 mid-job: its message goes to the other worker once the lease runs out', async () => {
    const mq = new MqClient({url: broker.url});
    await mq.createTopic({name: 'jobs'});
    await mq.createGroup({name: 'w', topics: ['jobs'], mode: 'queue', lease_ms: 1500});
    const started = path.join(cwd, 'started-a');
    const done = path.join(cwd, 'done-b');
    const a = startMq(['consume', 'jobs', '--queue', '--group', 'w', '--exec', `echo "$MQ_MESSAGE_ID" >> ${started}; sleep 60`], env, cwd);
    children.push(a);
    await mq.produceOne('jobs', {id: 'job-1', value: {task: 'resize'}});
    await waitFor(() => fs.existsSync(started) && fs.readFileSync(started, 'utf8').includes('job-1'), {what: 'worker A to start job-1'});
    const b = startMq(['consume', 'jobs', '--queue', '--group', 'w', '--max', '1', '--exec', `echo "$MQ_MESSAGE_ID:$MQ_DELIVERY_COUNT:$(cat)" >> ${done}`], env, cwd);
    children.push(b);
    process.kill(-a.pid!, 'SIGKILL');
    const code = await new Promise<number | null>((r) => b.once('exit', r));
    expect(code).toBe(0);
    expect(fs.readFileSync(done, 'utf8').trim()).toBe('job-1:2:{"task":"resize"}');
    const d = (await mq.describeGroup('w')) as unknown as {partitions: Array<{acked_below: number; in_flight: number}>};
    expect(d.partitions[0]).toMatchObject({acked_below: 1, in_flight: 0});
    await mq.close();
  }, 60_000);

  it('runs the seed-000 walkthrough from the README as written', async () => {
    const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
    const block = /<!-- walkthrough -->\n```sh\n([\s\S]*?)```/.exec(readme)![1]!;
    const commands = block.split('\n').filter((l) => l.startsWith('mq '));
    expect(commands).toHaveLength(4);
    const [create, group, worker, produce] = commands.map((l) => l.replace(/\s+#.*$/, '').replace(/ &$/, ''));
    const argv = (line: string): string[] => {
      const out: string[] = [];
      const re = /'([^']*)'|(\S+)/g;
      for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2]!);
      return out.slice(1);
    };
    const dir = tempDir('mq-walkthrough-');
    expect((await runMq(argv(create!), {cwd: dir, env})).code).toBe(0);
    expect((await runMq(argv(group!), {cwd: dir, env})).code).toBe(0);
    const w = startMq(argv(worker!), env, dir);
    children.push(w);
    const r = await runMq(argv(produce!), {cwd: dir, env, timeoutMs: 60_000});
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    for (const seq of [1, 2, 3]) {
      expect(lines.some((l) => l.startsWith(`in progress: seq ${seq} `))).toBe(true);
      expect(lines.some((l) => l.startsWith(`processed: seq ${seq} `))).toBe(true);
    }
    process.kill(-w.pid!, 'SIGTERM');
  }, 60_000);
});
