/**
 * Recovery drill (npm run drill:recovery): the procedure docs/operations.md gives for a cluster that lost a majority,
 * run end to end on three local broker processes. Acknowledged writes, then brokers 2 and 3 are lost for good (killed,
 * data directories deleted); broker 1's data is backed up (`mq backup`, its own process), every broker is stopped and
 * the backup restored (`mq restore`) into all three data directories; the same three brokers (same ids, addresses and
 * flags) start on it. Reports what was acknowledged and is still there, and that the cluster takes writes again.
 *
 *   npm run drill:recovery -- [--messages 2000]
 */
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {request} from 'undici';
import {ProduceLoad, verifyAcks} from '../src/bench/cluster-load.js';
import {LocalCluster, mqCommand, until} from '../src/bench/local-cluster.js';

const {values: args} = parseArgs({options: {messages: {type: 'string', default: '2000'}}});
const MESSAGES = Number(args.messages);

function mq(argv: string[]): string {
  const [cmd, ...pre] = mqCommand();
  return execFileSync(cmd!, [...pre, ...argv], {encoding: 'utf8'}).trim();
}

const c = await LocalCluster.start(3);
try {
  const created = await request(`${c.url(1)}/v1/topics`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify({name: 'drill', partitions: 3})});
  await created.body.dump();
  const load = new ProduceLoad(c, {topic: 'drill', concurrency: 3, batch: 10});
  load.start();
  await until(() => load.acked.length >= MESSAGES, 60_000, 'acknowledged writes');
  await load.stop();
  console.log(`acknowledged ${load.acked.length} messages on 3 partitions (replicas on all 3 brokers)`);

  // the majority is lost: two brokers and their disks
  for (const id of [2, 3]) {
    await c.kill(id);
    fs.rmSync(c.node(id).dataDir, {recursive: true, force: true});
  }
  console.log('brokers 2 and 3 lost (killed, data deleted): no majority, the cluster cannot write');

  const t0 = Date.now();
  const backup = path.join(c.dir, 'backup');
  console.log(mq(['backup', '--data-dir', c.node(1).dataDir, '--to', backup]));
  await c.kill(1, 'SIGTERM');
  fs.renameSync(c.node(1).dataDir, `${c.node(1).dataDir}.old`);
  for (const id of [1, 2, 3]) console.log(mq(['restore', '--from', backup, '--data-dir', c.node(id).dataDir]));
  await Promise.all([1, 2, 3].map((id) => c.startNode(id)));
  await c.waitReady();
  console.log(`backup, restore x3 and restart took ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const report = await verifyAcks(c, 2, 'drill', 3, load.acked);
  console.log(`after recovery: ${report.messages} messages; acknowledged and missing: ${report.lost.length}; gaps ${report.gaps}, conflicting offsets ${report.conflictingOffsets}`);
  const more = new ProduceLoad(c, {topic: 'drill', concurrency: 3, batch: 10});
  // ids that cannot collide with the first load's (ProduceLoad numbers its ids from 0)
  await more.send(3, Array.from({length: 10}, (_, k) => `after-${k}`));
  console.log(`writes after recovery: ${more.acked.length} of 10 acknowledged, ${more.failures.length} failed`);
  if (report.lost.length > 0 || more.acked.length !== 10) process.exitCode = 1;
} finally {
  await c.destroy();
}
