import fs from 'node:fs';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {chromium, type Browser} from 'playwright-core';
import {MqClient} from '../../src/client/index.js';
import type {StatusModel} from '../../src/observe/status-model.js';
import {waitFor} from '../helpers/broker.js';
import {spawnBroker, type BrokerChild} from '../helpers/process.js';

/** The /ui page in headless Chromium (Debian's, driven by playwright-core) against a broker process. */

// page functions run in the browser; this test's TypeScript has no DOM library, so declare the little it uses
declare const document: {
  getElementById(id: string): {textContent: string | null} | null;
  querySelectorAll(selector: string): ArrayLike<{textContent: string | null}>;
};

const CHROMIUM = process.env.MQ_CHROMIUM ?? '/usr/bin/chromium';

let browser: Browser;
let broker: BrokerChild;
let client: MqClient;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: this test loads /ui in headless Chromium (apt-get install chromium; .ci/run installs it, MQ_CHROMIUM=path picks another)`);
  }
  [broker, browser] = await Promise.all([
    spawnBroker(),
    chromium.launch({
      executablePath: CHROMIUM,
      // the machine has no network beyond loopback: no background connections, no update checks
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    }),
  ]);
  client = new MqClient({url: broker.url});
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await client?.close();
  broker?.kill('SIGTERM');
  await broker?.exited;
});

describe('the web dashboard (/ui) in Chromium', () => {
  it('follows the broker live over SSE: produced messages show up on the page', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    await page.goto(`${broker.url}/ui`);
    await page.waitForFunction(() => document.getElementById('conn')?.textContent === 'live');
    expect(await page.textContent('#node')).toContain(`broker 1 at ${broker.url}`);
    const before = Number(await page.textContent('#messages-in'));
    expect(Number.isInteger(before)).toBe(true);

    await client.produce('clicks', Array.from({length: 25}, (_, i) => ({value: {i}})));
    await page.waitForFunction((n) => document.getElementById('messages-in')?.textContent === String(n), before + 25);
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#partitions td')).some((td) => td.textContent === 'clicks/0'));
    const row = await page.$$eval('#partitions tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)).find((cells) => cells[0] === 'clicks/0'));
    // partition, leader, in sync, log start, high watermark, messages
    expect(row!.slice(0, 6)).toEqual(['clicks/0', '1', '1/1', '0', '25', '25']);
    expect(await page.textContent('#durability')).toBe('fsync before ack');
    expect(problems).toEqual([]);

    await page.close();
    await waitFor(async () => (await client.status<StatusModel>()).connections.status_streams === 0, {what: 'the stream to end when the page went away'});
  });
});
