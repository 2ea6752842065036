import fs from 'node:fs';
import path from 'node:path';
import {sleep} from '../../src/bench/local-cluster.js';
import {checkCluster, checkServed, type ServedLog} from './checkers/cluster.js';
import {checkGroups} from './checkers/groups.js';
import {checkLog} from './checkers/log.js';
import {checkQueue} from './checkers/queue.js';
import {checkSse} from './checkers/sse.js';
import {auditRun, straceWrap} from './faults/fsync.js';
import {Nemesis} from './faults/nemesis.js';
import {schedule} from './faults/schedule.js';
import {ChaosCluster} from './lib/chaos-cluster.js';
import {History} from './lib/history.js';
import {Http} from './lib/http.js';
import {Monitor} from './lib/monitor.js';
import {summarize, type RunOptions, type RunResult} from './result.js';
import {WorkloadContext} from './workloads/context.js';
import {finalLog, readAll} from './workloads/final.js';
import {createGroup, describe, startGroups, type GroupWorkloadOptions} from './workloads/groups.js';
import {startLog, type LogWorkloadOptions} from './workloads/log.js';
import {createQueue, finalQueue, startQueue, type QueueWorkloadOptions} from './workloads/queue.js';
import {startSse} from './workloads/sse.js';

export const LOG_TOPIC = 'chaos-log';
const QUEUE_TOPIC = 'chaos-q';

/**
 * One chaos run: a cluster of real brokers behind fault proxies, the chosen workloads recording a history, the
 * nemesis playing the seeded schedule, then every fault healed, the state drained from every replica, and the
 * checkers' verdict. Everything a run used and saw is written to `outDir` (history.jsonl, result.json).
 */
export async function runChaos(o: RunOptions): Promise<RunResult> {
  const log = o.log ?? (() => {});
  fs.mkdirSync(o.outDir, {recursive: true});
  const unsafe = o.unsafe.map((u) => `--unsafe-${u}`);
  const cluster = await ChaosCluster.start({
    size: o.brokers,
    seed: o.seed,
    args: unsafe,
    env: o.env,
    ...(o.faults.includes('disk-full') ? {tmpfsBytes: o.tmpfsBytes} : {}),
    ...(o.auditFsync ? {wrap: (id: number) => straceWrap(path.join(o.outDir, `strace-${id}.txt`))} : {}),
  });
  const history = new History();
  const http = new Http();
  const ctx = new WorkloadContext(cluster, history, http, o.seed);
  const wants = new Set(o.workloads);
  const t0 = performance.now();
  try {
    await cluster.checkLinks();
    const admin = cluster.directUrl(cluster.ids[0]!)!;
    const created = await http.request(admin, 'POST', '/v1/topics', {body: {name: LOG_TOPIC, partitions: o.partitions}, timeoutMs: 15_000});
    if (created.type !== 'ok') throw new Error(`creating ${LOG_TOPIC}: ${JSON.stringify(created.body ?? created.error)}`);
    for (let p = 0; p < o.partitions; p++) await cluster.waitForLeader(LOG_TOPIC, p, 20_000);
    const logOpts: LogWorkloadOptions = {topic: LOG_TOPIC, partitions: o.partitions, appenders: wants.has('log') ? o.appenders : 0, readers: wants.has('log') ? o.readers : 0, batch: o.batch, route: o.route, attempts: o.auditFsync ? 1 : 3, requestTimeoutMs: o.requestTimeoutMs, pauseMs: o.pauseMs};
    const groupOpts: GroupWorkloadOptions = {group: 'chaos-g', topic: LOG_TOPIC, members: 3, sessionTimeoutMs: 4000, crashP: 0.01};
    const queueOpts: QueueWorkloadOptions = {topic: QUEUE_TOPIC, partitions: o.partitions, group: 'chaos-w', producer: o.receipts ? 'P1' : undefined, producers: 1, workers: 4, leaseMs: o.leaseMs, maxDeliveries: 3, crashP: 0.03};
    if (wants.has('groups')) await createGroup(ctx, groupOpts, admin);
    if (wants.has('queue')) await createQueue(ctx, queueOpts, admin);
    const monitor = new Monitor(cluster, history, http, [
      ...Array.from({length: o.partitions}, (_, partition) => ({topic: LOG_TOPIC, partition})),
      ...(wants.has('queue') ? Array.from({length: o.partitions}, (_, partition) => ({topic: QUEUE_TOPIC, partition})) : []),
    ]);
    if (!o.auditFsync) monitor.start();

    const loops: Array<Promise<void>> = [];
    loops.push(...startLog(ctx, logOpts));
    const groups = wants.has('groups') ? startGroups(ctx, groupOpts) : undefined;
    loops.push(...(groups?.loops ?? []));
    if (wants.has('queue')) loops.push(...startQueue(ctx, queueOpts, o.requestTimeoutMs));
    const connOwner = new Map<number, number>();
    const sse = wants.has('sse') || wants.has('slow') ? startSse(ctx, {topic: LOG_TOPIC, readers: wants.has('sse') ? 2 : 0, slowReaders: wants.has('slow') ? 3 : 0, heartbeatMs: 500}, connOwner) : undefined;
    loops.push(...(sse?.loops ?? []));

    const focus = {topic: wants.has('log') || !wants.has('queue') ? LOG_TOPIC : QUEUE_TOPIC, partition: 0};
    const nemesis = new Nemesis(cluster, history, http, focus, o.seed, o.downMs);
    const steps = schedule({seed: o.seed, durationMs: o.durationMs, faults: o.faults, warmupMs: o.warmupMs, quietMs: o.quietMs, faultMs: o.faultMs, gapMs: o.gapMs});
    log(`seed ${o.seed}: ${steps.length} faults scheduled over ${o.durationMs} ms (${steps.map((s) => s.kind).join(', ') || 'none'})`);
    const faulting = nemesis.run(steps, t0);
    await Promise.race([faulting, sleep(o.durationMs)]);
    await sleep(Math.max(0, o.durationMs - (performance.now() - t0)));
    nemesis.stop();
    await faulting;

    // the end of the faults: heal everything, let the clients tidy up (queue workers ack what is left)
    log('healing');
    await cluster.healAll();
    ctx.draining = true;
    history.event('nemesis', {kind: 'heal-all', phase: 'end'});
    await cluster.local.waitReady(cluster.live(), 30_000).catch((error: unknown) => log(`not every broker ready: ${(error as Error).message}`));
    const downAtEnd: number[] = [];
    for (const id of cluster.ids) {
      const url = cluster.directUrl(id);
      if (!url || (await http.request(url, 'GET', '/ready', {timeoutMs: 3000})).type !== 'ok') downAtEnd.push(id);
    }
    const final = await finalLog(cluster, http, LOG_TOPIC, o.partitions, o.convergeMs);
    const via = (): string | undefined => cluster.directUrl(cluster.live()[0]!);
    const queueFinal = wants.has('queue') ? await finalQueue(ctx, queueOpts, via, o.drainMs) : undefined;
    await groups?.stop();
    const groupFinal = groups ? await describe(ctx, groupOpts, cluster.live()[0]!, true) : undefined;
    if (sse) {
      const ends = new Map([...final.committed].map(([p, msgs]) => [p, msgs.length > 0 ? msgs[msgs.length - 1]!.offset + 1 : 0]));
      const until = performance.now() + o.drainMs;
      while (performance.now() < until && !sse.readers.every((r) => r.caughtUp(ends))) await sleep(100);
    }
    ctx.stop();
    for (const r of sse?.readers ?? []) r.stop();
    await Promise.all(loops);
    await monitor.stop();
    for (const id of cluster.live()) await monitor.sample(id, true);

    // each broker's own committed prefix, forwarding off (a replica with nothing committed has nothing to serve)
    const served: ServedLog[] = [];
    for (const id of cluster.live()) {
      for (let p = 0; p < o.partitions; p++) {
        const hw = final.replicas.find((r) => r.node === id && r.partition === p)?.hw ?? 0;
        const msgs = hw === 0 ? {messages: []} : await readAll(http, cluster.directUrl(id)!, LOG_TOPIC, p, {'x-mq-no-forward': '1'});
        served.push({node: id, partition: p, ...('error' in msgs ? {error: msgs.error} : {messages: msgs.messages})});
      }
    }
    const reports = {
      log: checkLog(history.ops, final),
      cluster: checkCluster(history.ops, final),
      served: checkServed(served, final.committed),
      ...(groupFinal || wants.has('groups') ? {groups: checkGroups(history.ops, groupFinal)} : {}),
      ...(queueFinal ? {queue: checkQueue(history.ops, queueFinal)} : {}),
      ...(sse ? {sse: checkSse(history.ops, final.committed, (conn) => connOwner.get(conn) ?? -1)} : {}),
      ...(o.auditFsync ? {fsync: await auditRun(cluster, history, o.outDir)} : {}),
    };
    const result = summarize(o, reports, {
      converged: final.converged,
      crashes: cluster.crashes,
      nemesis: nemesis.figures,
      process: monitor.figures,
      wallMs: Math.round(performance.now() - t0),
      pending: history.pending().length,
      downAtEnd,
    });
    fs.mkdirSync(o.outDir, {recursive: true});
    fs.writeFileSync(path.join(o.outDir, 'history.jsonl'), history.toJsonLines());
    const warnings = cluster.logWarnings();
    const finals = {warnings, queue: queueFinal && {backlog: queueFinal.backlog, receipts: queueFinal.receipts.length, deadLetters: queueFinal.deadLetters.length, describe: queueFinal.describe}, groups: groupFinal, converged: final.converged};
    fs.writeFileSync(path.join(o.outDir, 'result.json'), JSON.stringify({...result, finals, reports}, null, 1));
    return result;
  } finally {
    ctx.stop();
    // the brokers' own logs go with the history: the first thing to read when a run found something
    for (const id of cluster.ids) fs.writeFileSync(path.join(o.outDir, `broker-${id}.log`), cluster.local.logs(id));
    await http.close();
    await cluster.destroy();
  }
}
