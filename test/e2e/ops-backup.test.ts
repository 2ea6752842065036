import fs from 'node:fs';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import type {WireMessage} from '../../src/client/index.js';
import {startTestBroker, tempDir, type TestBroker} from '../helpers/broker.js';
import {runMq} from '../helpers/process.js';
import {Load, readPartition} from '../ops/helpers.js';

const PARTITIONS = [0, 1, 2];
const brokers: TestBroker[] = [];

afterAll(async () => {
  await Promise.all(brokers.map((b) => b.stop({purge: true})));
});

const fingerprint = (m: WireMessage): string => JSON.stringify([m.offset, m.id, m.key, m.timestamp, m.value]);

/**
 * `mq backup` (its own process, reading the database file) of a broker while producers write to it, `mq restore` into
 * a new directory, a second broker on the restored data: the restored log is a consistent cut of the original (each partition a prefix of the original's,
 * message for message), holds every message acknowledged before the backup began, and carries on from where it ends.
 */
describe('backup and restore', {timeout: 60_000}, () => {
  it('backup - under load, the restored broker holds a consistent prefix with every message acknowledged before the backup', async () => {
    const original = await startTestBroker();
    brokers.push(original);
    const client = original.client;
    await client.createTopic({name: 'orders', partitions: PARTITIONS.length});
    // steady writes that leave the CPU to the backup process (it runs beside the broker, as it would in production)
    const load = new Load(client, 'orders', {pauseMs: 10});
    await load.until(1500);

    const begun = performance.now();
    const backupDir = path.join(tempDir('mq-backup-'), 'b1');
    const backup = await runMq(['backup', '--data-dir', original.dataDir, '--to', backupDir, '--json']);
    expect(backup.code, backup.stderr).toBe(0);
    const ended = performance.now();
    const ackedBefore = load.acked.filter((a) => a.at < begun);
    // the producers kept going while the copy was made, so the backup is taken under load
    expect(load.acked.filter((a) => a.at > begun && a.at < ended).length).toBeGreaterThan(0);
    await load.until(ackedBefore.length + 500);
    await load.stop();
    expect(load.failures).toEqual([]);
    const report = JSON.parse(backup.stdout) as {manifest: {format_version: number; files: Array<{name: string}>; messages: number}};
    expect(report.manifest.format_version).toBe(2);
    expect(report.manifest.files.map((f) => f.name)).toEqual(['mq.db']);
    expect(fs.readdirSync(backupDir).sort()).toEqual(['manifest.json', 'mq.db']);

    const restoredDir = tempDir('mq-restored-');
    const restore = await runMq(['restore', '--from', backupDir, '--data-dir', restoredDir]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toMatch(/^restored 3 topics/);

    const restored = await startTestBroker({dataDir: restoredDir});
    brokers.push(restored);
    const rc = restored.client;
    let total = 0;
    for (const p of PARTITIONS) {
      const [before, after] = [await readPartition(client, 'orders', p), await readPartition(rc, 'orders', p)];
      expect(after.length).toBeGreaterThan(0);
      expect(after.length).toBeLessThanOrEqual(before.length);
      expect(after.map(fingerprint)).toEqual(before.slice(0, after.length).map(fingerprint));
      total += after.length;
    }
    // the manifest counts every partition, the internal topics' included
    expect(report.manifest.messages).toBeGreaterThanOrEqual(total);
    const restoredIds = new Set<string>();
    for (const p of PARTITIONS) for (const m of await readPartition(rc, 'orders', p)) restoredIds.add(`${p}/${m.offset}/${m.id}`);
    const missing = ackedBefore.filter((a) => !restoredIds.has(`${a.partition}/${a.offset}/${a.id}`));
    expect(missing).toEqual([]);
    expect(ackedBefore.length).toBeGreaterThanOrEqual(1500);

    // the restored broker leads its partitions again and appends right after what it restored
    const ends = await Promise.all(PARTITIONS.map(async (p) => (await rc.fetch('orders', p, {maxMessages: 1})).high_watermark));
    const r = await rc.produce('orders', [{id: 'after-restore', value: 'x', partition: 1}]);
    expect(r[0]).toMatchObject({partition: 1, offset: ends[1]});
  });
});
