/**
 * CPU profile of an mq broker under one workload (npm run bench:profile -- produce|consume|queue|cluster ...): starts
 * the broker with node --cpu-prof, drives it with the mq bench engine, stops it (the profile is written on exit),
 * and prints the functions with the most self time and the share of each area (SQLite, HTTP, JSON, Raft, ...).
 * The .cpuprofile file opens in Chrome DevTools or speedscope for a flame graph.
 *
 *   npm run bench:profile -- produce [--messages 300000] [--producers 4] [--batch 100] [--fetch-max 1000] [--top 25]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {LocalCluster} from '../src/bench/local-cluster.js';
import {MqTarget, resolveOptions, runWorkload, textReport, runInfo} from '../src/bench/index.js';
import {buildReport} from '../src/bench/report.js';
import {startMq} from './peers/servers.js';
import {summarise} from './peers/cpuprofile.js';

const {values: a, positionals} = parseArgs({
  allowPositionals: true,
  options: {
    messages: {type: 'string', default: '300000'},
    producers: {type: 'string', default: '4'},
    consumers: {type: 'string', default: '1'},
    batch: {type: 'string', default: '100'},
    'fetch-max': {type: 'string', default: '1000'},
    partitions: {type: 'string', default: '1'},
    top: {type: 'string', default: '25'},
    dir: {type: 'string'},
  },
});
const kind = (positionals[0] ?? 'produce') as 'produce' | 'consume' | 'queue' | 'cluster';
const dir = a.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mq-profile-'));
fs.mkdirSync(dir, {recursive: true});
const nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
const o = resolveOptions(kind === 'cluster' ? 'produce' : kind, {
  messages: Number(a.messages),
  producers: Number(a.producers),
  consumers: Number(a.consumers),
  batch: Number(a.batch),
  fetchMax: Number(a['fetch-max']),
  partitions: kind === 'cluster' ? 3 : Number(a.partitions),
});
if (kind === 'cluster') {
  // LocalCluster runs MQ_BIN when set: a wrapper that adds the profiler's flags (exec keeps the broker's pid)
  const wrapper = path.join(dir, 'mq-profiled.sh');
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${process.execPath} ${nodeArgs.join(' ')} ${path.resolve('bin/run.js')} "$@"\n`, {mode: 0o755});
  const before = process.env.MQ_BIN;
  process.env.MQ_BIN = wrapper;
  const c = await LocalCluster.start(3, {env: {MQ_RAFT_TICK_MS: '100', MQ_RAFT_ELECTION_TICKS: '10', MQ_RAFT_HEARTBEAT_TICKS: '5'}});
  if (before === undefined) delete process.env.MQ_BIN;
  else process.env.MQ_BIN = before;
  await new Promise((r) => setTimeout(r, 1000));
  try {
    const t = new MqTarget({url: c.url(1), acks: 'all', consumeMode: 'offset', connections: 16, routing: 'direct', replicationFactor: 3});
    const r = await runWorkload(o, t).finally(() => t.close());
    console.log(textReport(buildReport(o, runInfo(), r), o));
    // SIGTERM so that each broker writes its profile
    for (const n of c.nodes) await c.kill(n.id, 'SIGTERM');
  } finally {
    await c.destroy();
  }
} else {
  const mq = await startMq([], nodeArgs);
  try {
    const t = new MqTarget({url: mq.url, acks: 'all', consumeMode: 'offset', connections: o.producers + o.consumers + 4});
    const r = await runWorkload(o, t).finally(() => t.close());
    console.log(textReport(buildReport(o, runInfo(), r), o));
  } finally {
    await mq.stop();
  }
}
for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
  console.log(`\n${path.join(dir, f)}`);
  console.log(summarise(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')), Number(a.top)));
}
