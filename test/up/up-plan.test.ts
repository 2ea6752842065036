import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {childSpecs, planUp} from '../../src/up/up-plan.js';
import {tempDir} from '../helpers/broker.js';

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('mq up - the data directory', () => {
  it('records distinct free ports and a secret the first time, and reuses them on a re-run', async () => {
    const dir = path.join(tempDir('mq-up-plan-'), 'c');
    const first = await planUp({dataDir: dir, brokers: 3, lb: true, name: undefined});
    const ports = [...first.spec.brokers.flatMap((b) => [b.port, b.peer_port]), first.spec.lb!.port];
    expect(new Set(ports).size).toBe(7);
    expect(first).toMatchObject({resumed: false, url: first.lbUrl, spec: {name: 'c'}});
    const secret = fs.readFileSync(path.join(dir, 'cluster.secret'), 'utf8');
    expect(secret.trim()).toMatch(/^[0-9a-f]{64}$/);
    const again = await planUp({dataDir: dir, brokers: undefined, lb: false, name: undefined});
    expect(again).toMatchObject({resumed: true, spec: first.spec, url: first.url});
    expect(fs.readFileSync(path.join(dir, 'cluster.secret'), 'utf8')).toBe(secret);
  });

  it('gives every broker the same bootstrap list and secret file, and the lb every broker', async () => {
    const plan = await planUp({dataDir: path.join(tempDir('mq-up-plan-'), 'c'), brokers: 3, lb: true, name: 'x'});
    const specs = childSpecs(plan);
    expect(specs.map((s) => s.name)).toEqual(['broker-1', 'broker-2', 'broker-3', 'lb']);
    const flag = (args: string[], name: string) => args[args.indexOf(name) + 1];
    const bootstrap = plan.spec.brokers.map((b) => `${b.id}@127.0.0.1:${b.peer_port}`).join(',');
    for (const s of specs.slice(0, 3)) {
      expect(flag(s.args, '--bootstrap')).toBe(bootstrap);
      expect(flag(s.args, '--cluster-secret-file')).toBe(plan.layout.secretFile);
    }
    expect(specs[3]!.args.filter((_, i, a) => a[i - 1] === '--upstream')).toEqual(plan.brokerUrls);
  });

  it('fails clearly when a recorded port is taken, and when --brokers contradicts the recorded cluster', async () => {
    const dir = path.join(tempDir('mq-up-plan-'), 'c');
    const plan = await planUp({dataDir: dir, brokers: 3, lb: false, name: undefined});
    await expect(planUp({dataDir: dir, brokers: 5, lb: false, name: undefined})).rejects.toThrow(/holds a 3-broker cluster; --brokers 5 differs/);
    const s = net.createServer();
    servers.push(s);
    const port = plan.spec.brokers[1]!.peer_port;
    await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
    await expect(planUp({dataDir: dir, brokers: undefined, lb: false, name: undefined})).rejects.toThrow(`127.0.0.1:${port} (broker 2's peer port, recorded in ${path.join(dir, 'up.json')}) is in use`);
  });
});
