import {describe, expect, it} from 'vitest';
import type {WireProduceOk} from '../../src/client/index.js';
import {ManualClock} from '../../src/util/clock.js';
import {useTestBrokers, waitFor, type TestBroker} from '../helpers/broker.js';

describe('broker - retention, de-duplication across retention and restarts, group commit', () => {
  const start = useTestBrokers();

  it('keeps at most max_messages per partition (the seed\'s 1000-row cap) and reports the new log start', async () => {
    const b = await start();
    await b.client.createTopic({name: 'capped', retention: {max_messages: 10}});
    for (let i = 0; i < 5; i++) await b.client.produce('capped', Array.from({length: 5}, (_, k) => ({value: i * 5 + k})));
    await waitFor(async () => (await b.client.describeTopic('capped')).partition_details[0]!.log_start_offset === 15, {what: 'retention'});
    const d = await b.client.describeTopic('capped');
    expect(d.partition_details[0]).toMatchObject({log_start_offset: 15, high_watermark: 25, messages: 10});
    await expect(b.client.fetch('capped', 0, {offset: 3})).rejects.toMatchObject({code: 'OFFSET_OUT_OF_RANGE', status: 416, details: {log_start: 15, high_watermark: 25}});
    const page = await b.client.fetch('capped', 0, {offset: 15});
    expect(page.messages.map((m) => m.value)).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
  });

  it('keeps at most max_bytes of values', async () => {
    const b = await start();
    await b.client.createTopic({name: 'bytes', retention: {max_bytes: 250}});
    await b.client.produce('bytes', Array.from({length: 10}, () => ({value: 'x'.repeat(98)})));
    await waitFor(async () => (await b.client.describeTopic('bytes')).bytes <= 250, {what: 'byte retention'});
    expect((await b.client.describeTopic('bytes')).partition_details[0]).toMatchObject({log_start_offset: 8, messages: 2, bytes: 200});
  });

  it('deletes messages older than max_age_ms by the injected clock', async () => {
    const clock = new ManualClock(Date.now());
    const b = await start({}, {clock});
    await b.client.createTopic({name: 'aged', retention: {max_age_ms: 60_000}});
    await b.client.produce('aged', [{value: 'old'}, {value: 'old'}]);
    clock.advance(30_000);
    await b.client.produce('aged', [{value: 'new'}]);
    clock.advance(40_000);
    b.broker.runRetention();
    const page = await b.client.fetch('aged', 0, {offset: 2});
    expect(page).toMatchObject({log_start_offset: 2, high_watermark: 3});
    expect(page.messages.map((m) => m.value)).toEqual(['new']);
  });

  it('still recognises a retried id after retention deleted the original (within the window)', async () => {
    const b = await start();
    await b.client.createTopic({name: 'spill', retention: {max_messages: 1}});
    const first = await b.client.produceOne('spill', {id: 'tx-1', value: 'a'});
    await b.client.produce('spill', [{value: 'b'}, {value: 'c'}]);
    await waitFor(async () => (await b.client.describeTopic('spill')).partition_details[0]!.log_start_offset === 2, {what: 'retention'});
    const retry = await b.client.produceOne('spill', {id: 'tx-1', value: 'a'});
    expect(retry).toMatchObject({offset: first.offset, duplicate: true});
    await expect(b.client.produceOne('spill', {id: 'tx-1', value: 'changed'})).rejects.toMatchObject({code: 'ID_CONFLICT'});
  });

  it('rebuilds the de-duplication window from the log after a restart', async () => {
    const b = await start();
    const first = await b.client.produceOne('restart', {id: 'once', key: 'k', value: {n: 1}});
    await b.stop();
    const again = await start({dataDir: b.dataDir});
    expect(await again.client.produceOne('restart', {id: 'once', key: 'k', value: {n: 1}})).toMatchObject({offset: first.offset, duplicate: true});
    expect((await again.client.describeTopic('restart')).messages).toBe(1);
  });

  it('forgets ids after the de-duplication window', async () => {
    const clock = new ManualClock(Date.now());
    const b = await start({}, {clock});
    await b.client.createTopic({name: 'window', dedup_window_ms: 1000});
    await b.client.produceOne('window', {id: 'w', value: 1});
    clock.advance(1500);
    expect(await b.client.produceOne('window', {id: 'w', value: 1})).toMatchObject({offset: 1, duplicate: false});
  });

  it('group commit: concurrent requests share transactions and fsyncs, offsets stay dense', async () => {
    const b = await start();
    await b.client.createTopic({name: 'gc'});
    const before = b.broker.store.stats().commits;
    const flushes = b.broker.commitStats().flushes;
    const acks = await Promise.all(Array.from({length: 64}, (_, i) => b.client.produceOne('gc', {value: i})));
    const commits = b.broker.store.stats().commits - before;
    expect(commits).toBeLessThan(64);
    expect(acks.map((a: WireProduceOk) => a.offset).sort((x, y) => x - y)).toEqual(Array.from({length: 64}, (_, i) => i));
    const stats = b.broker.commitStats();
    expect(stats.maxOpsPerFlush).toBeGreaterThan(1);
    expect(stats.flushes - flushes).toBeLessThan(64);
  });
});
