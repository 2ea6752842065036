import {describe, expect, it} from 'vitest';
import {Consumer, MqClient, Producer} from '../../src/index.js';
import {ManualClock} from '../../src/util/clock.js';
import {useTestBrokers, waitFor, type TestBroker} from '../helpers/broker.js';

describe('consumer groups', () => {
  const start = useTestBrokers();

  it('join, fetch, commit and describe lag; commits survive a restart', async () => {
    const b = await start();
    const c = b.client;
    await c.createTopic({name: 'orders', partitions: 2});
    await c.produce('orders', Array.from({length: 10}, (_, i) => ({key: `k${i % 4}`, value: i})));
    await c.createGroup({name: 'billing', topics: ['orders']});
    const j = await c.join('billing', {clientId: 'w1'});
    expect(j.assignment).toHaveLength(2);
    const page = await c.groupFetch('billing', j.member_id, {maxMessages: 100});
    expect(page.messages).toHaveLength(10);
    const last = new Map<number, number>();
    for (const m of page.messages) last.set(m.partition, m.offset + 1);
    await c.commit('billing', j.member_id, page.generation, [...last].map(([partition, offset]) => ({topic: 'orders', partition, offset})));
    const d = await c.describeGroup('billing');
    expect(d.lag).toBe(0);
    expect(d.members.map((m) => m.client_id)).toEqual(['w1']);
    await c.leave('billing', j.member_id);
    await b.stop();
    const again = await start({dataDir: b.dataDir});
    const d2 = await again.client.describeGroup('billing');
    expect(d2.partitions.map((p) => p.committed)).toEqual([...last].sort((x, y) => x[0] - y[0]).map(([, o]) => o));
    expect(d2.lag).toBe(0);
  });

  it('a fetch whose answer was lost is served again when the member sends where it is (positions)', async () => {
    const b = await start();
    const c = b.client;
    await c.createTopic({name: 'lossy', partitions: 1});
    await c.produce('lossy', Array.from({length: 6}, (_, i) => ({value: i})));
    await c.createGroup({name: 'g-lost', topics: ['lossy'], from: 'earliest'});
    const j = await c.join('g-lost', {clientId: 'w'});
    const tp = {topic: 'lossy', partition: 0};
    // the first answer "never arrives": the member received nothing, so it names no position
    const lost = await c.groupFetch('g-lost', j.member_id, {maxMessages: 3, positions: []});
    expect(lost.messages.map((m) => m.offset)).toEqual([0, 1, 2]);
    const again = await c.groupFetch('g-lost', j.member_id, {maxMessages: 3, positions: [], autoCommit: true});
    expect(again.messages.map((m) => m.offset)).toEqual([0, 1, 2]);
    // it received 0-2 and says so: the next fetch continues after them and the auto-commit commits them
    const next = await c.groupFetch('g-lost', j.member_id, {maxMessages: 3, positions: [{...tp, offset: 3}], autoCommit: true});
    expect(next.messages.map((m) => m.offset)).toEqual([3, 4, 5]);
    expect((await c.describeGroup('g-lost')).partitions[0]!.committed).toBe(3);
    // a position past what was handed out is held to it; without positions the server's own position is used
    const held = await c.groupFetch('g-lost', j.member_id, {maxMessages: 3, positions: [{...tp, offset: 99}]});
    expect(held.messages).toEqual([]);
    await c.produce('lossy', [{value: 6}]);
    expect((await c.groupFetch('g-lost', j.member_id, {maxMessages: 3})).messages.map((m) => m.offset)).toEqual([6]);
  });

  it('rejects a stale member\'s commit, and an expired member must rejoin', async () => {
    const b = await start({groupSessionTimeoutMs: 1000});
    const c = b.client;
    await c.createTopic({name: 't', partitions: 2});
    await c.produce('t', [{value: 1, partition: 0}, {value: 2, partition: 1}]);
    const a = await c.join('g', {topics: ['t'], clientId: 'a', sessionTimeoutMs: 1000});
    const aPage = await c.groupFetch('g', a.member_id, {maxMessages: 10});
    const bJoin = await c.join('g', {clientId: 'b'});
    // a's generation is now stale: its commit is refused and tells it the current generation
    await expect(c.commit('g', a.member_id, aPage.generation, [{topic: 't', partition: 0, offset: 1}])).rejects.toMatchObject({
      code: 'STALE_GENERATION',
      status: 409,
      details: {generation: bJoin.generation},
    });
    // committing a partition it no longer owns is refused even with the right generation
    const hb = await c.heartbeat('g', a.member_id);
    const notMine = [0, 1].find((p) => !hb.assignment.some((x) => x.partition === p))!;
    await expect(c.commit('g', a.member_id, hb.generation, [{topic: 't', partition: notMine, offset: 1}])).rejects.toMatchObject({code: 'STALE_GENERATION'});
    await expect(c.resetGroup('g', 'earliest')).rejects.toMatchObject({code: 'GROUP_ACTIVE'});
    // b goes silent: after its session timeout it is gone, and a gets everything back
    await waitFor(async () => (await c.heartbeat('g', a.member_id)).assignment.length === 2, {timeoutMs: 5000, what: 'b to expire'});
    await expect(c.heartbeat('g', bJoin.member_id)).rejects.toMatchObject({code: 'UNKNOWN_MEMBER'});
    await expect(c.describeGroup('nope')).rejects.toMatchObject({code: 'GROUP_NOT_FOUND', status: 404});
  });

  it('three members joining and leaving under load: every message delivered, commits never regress', async () => {
    const b = await start({groupSessionTimeoutMs: 1500, groupHeartbeatIntervalMs: 200});
    await b.client.createTopic({name: 'load', partitions: 6});
    const producer = new Producer({url: b.url, lingerMs: 2});
    let producing = true;
    let produced = 0;
    const produce = (async () => {
      for (let i = 0; producing; i++) {
        await Promise.all(Array.from({length: 20}, (_, k) => producer.send('load', {key: `key-${(i * 20 + k) % 37}`, value: {n: i * 20 + k}})));
        produced += 20;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const seen = new Map<string, number>();
    const committedHistory = new Map<number, number>();
    let regressions = 0;
    const watch = setInterval(() => {
      void b.client.describeGroup('workers').then((d) => {
        for (const p of d.partitions) {
          const prev = committedHistory.get(p.partition) ?? -1;
          if (p.committed !== null && p.committed < prev) regressions++;
          if (p.committed !== null) committedHistory.set(p.partition, p.committed);
        }
      }, () => {});
    }, 50);
    const run = async (name: string, opts: {stopAfter: number; crash?: boolean}): Promise<void> => {
      const consumer = new Consumer({url: b.url, topics: 'load', group: 'workers', clientId: name, waitMs: 200, maxMessages: 50, sessionTimeoutMs: 1500});
      const until = Date.now() + opts.stopAfter;
      for await (const m of consumer) {
        const k = `${m.partition}/${m.offset}`;
        seen.set(k, (seen.get(k) ?? 0) + 1);
        if (Date.now() > until) break;
      }
      if (opts.crash) {
        // a crash: no commit, no leave; the broker notices when the session times out
        (consumer as unknown as {closed: boolean}).closed = true;
        (consumer as unknown as {heartbeat?: NodeJS.Timeout}).heartbeat && clearInterval((consumer as unknown as {heartbeat: NodeJS.Timeout}).heartbeat);
        await consumer.client.close();
      } else {
        await consumer.close();
      }
    };
    const runs = [run('a', {stopAfter: 2500}), new Promise((r) => setTimeout(r, 400)).then(() => run('b', {stopAfter: 900, crash: true})), new Promise((r) => setTimeout(r, 800)).then(() => run('c', {stopAfter: 1200}))];
    await Promise.all(runs);
    producing = false;
    await produce;
    await producer.close();
    // a last member drains whatever is left, from the committed offsets (once the crashed member's session ends)
    await waitFor(
      async () => {
        const last = new Consumer({url: b.url, topics: 'load', group: 'workers', clientId: 'drain', waitMs: 300});
        for (let empty = 0; empty < 2; ) {
          const batch = await last.poll();
          if (batch.length === 0) empty++;
          for (const m of batch) {
            last.handOut(m);
            const k = `${m.partition}/${m.offset}`;
            seen.set(k, (seen.get(k) ?? 0) + 1);
          }
        }
        await last.close();
        return (await b.client.describeGroup('workers')).lag === 0;
      },
      {timeoutMs: 15_000, what: 'the group to drain'},
    );
    clearInterval(watch);
    const d = await b.client.describeGroup('workers');
    expect(d.lag).toBe(0);
    const total = d.partitions.reduce((n, p) => n + p.high_watermark, 0);
    expect(total).toBe(produced);
    for (const p of d.partitions) for (let o = 0; o < p.high_watermark; o++) expect(seen.has(`${p.partition}/${o}`), `${p.partition}/${o}`).toBe(true);
    expect(regressions).toBe(0);
    expect(d.generation).toBeGreaterThanOrEqual(6);
  }, 60_000);

  it('resets to a time: the first message at or after it', async () => {
    const clock = new ManualClock(Date.parse('2026-11-23T06:00:00Z'));
    const b = await start({}, {clock});
    const c = b.client;
    await c.produce('timed', [{value: 'night-1'}, {value: 'night-2'}]);
    clock.advance(3_600_000);
    await c.produce('timed', [{value: 'morning-1'}, {value: 'morning-2'}]);
    await c.createGroup({name: 'replay', topics: ['timed'], from: 'latest'});
    expect(await c.resetGroup('replay', '2026-11-23T06:30:00Z')).toEqual([{topic: 'timed', partition: 0, offset: 2}]);
    const j = await c.join('replay');
    const page = await c.groupFetch('replay', j.member_id, {maxMessages: 10});
    expect(page.messages.map((m) => m.value)).toEqual(['morning-1', 'morning-2']);
    await c.leave('replay', j.member_id);
    expect(await c.resetGroup('replay', new Date('2026-11-23T05:00:00Z'))).toEqual([{topic: 'timed', partition: 0, offset: 0}]);
    expect(await c.resetGroup('replay', 'latest')).toEqual([{topic: 'timed', partition: 0, offset: 4}]);
  });

  it('compacts the group log and rebuilds the same state from it', async () => {
    const b = await start({groupsCompactAfter: 20, groupsPartitions: 1});
    const c = b.client;
    await c.produce('t', Array.from({length: 100}, (_, i) => ({value: i})));
    const j = await c.join('g1', {topics: ['t']});
    for (let i = 1; i <= 60; i++) await c.commit('g1', j.member_id, j.generation, [{topic: 't', partition: 0, offset: i}]);
    const log = b.broker.partitionLog('__groups', 0);
    expect(log.logStart).toBeGreaterThan(0);
    expect(log.highWatermark - log.logStart).toBeLessThan(30);
    await c.leave('g1', j.member_id, {commit: false});
    await b.stop();
    const again = await start({dataDir: b.dataDir, groupsCompactAfter: 20, groupsPartitions: 1});
    expect((await again.client.describeGroup('g1')).partitions[0]).toMatchObject({committed: 60, lag: 40});
  });

  it('a Consumer in a group reads as an async iterator and commits what it handed out', async () => {
    const b = await start();
    const producer = new Producer({url: b.url});
    for (let i = 0; i < 30; i++) void producer.send('it', {value: i});
    await producer.flush();
    const consumer = new Consumer({url: b.url, topics: 'it', group: 'iter', waitMs: 100});
    const got: unknown[] = [];
    for await (const m of consumer) {
      got.push(m.value);
      if (got.length === 12) break;
    }
    await consumer.close();
    const d = await new MqClient({url: b.url}).describeGroup('iter');
    expect(d.partitions[0]!.committed).toBe(12);
    await producer.close();
  });
});
