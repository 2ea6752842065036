import fs from 'node:fs';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {chromium, type Browser} from 'playwright-core';
import {freePort} from '../../src/bench/local-cluster.js';
import {TokenGenerator} from '../../examples/chat-stream/generator.js';
import {GENERATOR_GROUP, TOPICS} from '../../examples/chat-stream/protocol.js';
import {startWebServer, type WebServer} from '../../examples/chat-stream/web-server.js';
import {startTestBroker, type TestBroker} from '../helpers/broker.js';

/**
 * examples/chat-stream on a single broker without auth (the page streams with no token): a generator that stops in
 * the middle of an answer leaves the prompt to another, which publishes the answer again under the same ids; the
 * page, in headless Chromium, shows it once. And the example's web API refuses what it must.
 */

interface El {
  textContent: string | null;
  dataset: Record<string, string | undefined>;
}
declare const document: {querySelector(selector: string): El | null; getElementById(id: string): El | null};

const CHROMIUM = process.env.MQ_CHROMIUM ?? '/usr/bin/chromium';
const ANSWER_WORDS = 30;
const HELD_AT = 10;
const PROMPT_LEASE_MS = 1500;

let browser: Browser;
let broker: TestBroker;
let web: WebServer;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: this test runs the chat page in headless Chromium (MQ_CHROMIUM=path picks another)`);
  const webPort = await freePort();
  [broker, browser] = await Promise.all([
    startTestBroker({corsOrigins: `http://127.0.0.1:${webPort}`}),
    chromium.launch({executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']}),
  ]);
  // short leases: a prompt whose generator went away without giving it back is delivered again soon
  await broker.client.createTopic({name: TOPICS.prompts, partitions: 1});
  await broker.client.createGroup({name: GENERATOR_GROUP, topics: [TOPICS.prompts], mode: 'queue', lease_ms: PROMPT_LEASE_MS});
  web = await startWebServer({mqUrl: broker.url, port: webPort});
}, 60_000);

afterAll(async () => {
  await web?.close();
  await browser?.close();
  await broker?.stop({purge: true});
});

describe('examples/chat-stream - a single broker, no auth', {timeout: 60_000}, () => {
  it('a generator stopped in the middle of an answer: another takes the prompt over, republishes under the same ids, and the page shows every word once', async () => {
    let reached!: (answer: string) => void;
    const held = new Promise<string>((r) => (reached = r));
    // the first generator stops before word HELD_AT, until it is stopped itself
    const first = new TokenGenerator({
      url: broker.url,
      words: ANSWER_WORDS,
      consumer: 'first',
      pace: async (answer, seq, signal) => {
        if (seq < HELD_AT) return;
        reached(answer);
        await new Promise((r) => signal.addEventListener('abort', r, {once: true}));
      },
    });
    await first.start();
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${web.url}/?session=takeover`);
    await page.waitForFunction(() => document.getElementById('conn')?.textContent === 'live');
    expect(await page.getAttribute('#conn', 'data-token-expires-at')).toBeNull(); // no auth: no token
    await page.fill('#prompt', 'who finishes this answer?');
    await page.click('#send');
    const answer = await held;
    await page.waitForFunction(([id, n]) => (document.querySelector(`.answer[data-answer="${id}"] .text`)?.textContent ?? '').split(' ').filter(Boolean).length === n, [answer, HELD_AT] as const);

    // the first generator goes away mid-answer: the prompt comes back (its nack, or its lease running out) and the
    // second generator starts the answer over
    await first.stop();
    const second = new TokenGenerator({url: broker.url, words: ANSWER_WORDS, consumer: 'second', delayMs: 5});
    await second.start();
    await page.waitForFunction((id) => document.querySelector(`.answer[data-answer="${id}"]`)?.dataset.status === 'done', answer, {timeout: 20_000});
    await second.stop();

    const words = second.answers.get(answer)!.words;
    expect(words.length).toBe(ANSWER_WORDS);
    expect(first.answers.get(answer)!.words).toEqual(words.slice(0, HELD_AT));
    expect(await page.textContent(`.answer[data-answer="${answer}"] .text`)).toBe(words.join(' '));
    expect(await page.$$eval('#problems li', (lis) => lis.map((li) => li.textContent))).toEqual([]);
    expect(problems).toEqual([]);
    // the topic holds each event once: question, start, 30 words, end
    const partitions = (await broker.client.describeTopic('chat')).partition_details.map((p) => p.partition);
    const stored = (await Promise.all(partitions.map((p) => broker.client.fetch('chat', p, {offset: 0})))).flatMap((r) => r.messages);
    const ids = stored.filter((m) => m.key === 'takeover').map((m) => m.id);
    expect(ids).toEqual([`${answer}/user`, `${answer}/start`, ...words.map((_, i) => `${answer}/${i}`), `${answer}/end`]);
    await page.close();
  });

  it('the web API publishes only well-formed JSON requests for a valid session', async () => {
    const post = (path: string, body: string, type = 'application/json'): Promise<Response> => fetch(`${web.url}${path}`, {method: 'POST', headers: {'content-type': type}, body});
    const cases: Array<[string, string, string, number]> = [
      ['/api/ask', '{"session":"ok","text":"hi"}', 'text/plain', 415],
      ['/api/ask', 'not json', 'application/json', 400],
      ['/api/ask', '["session"]', 'application/json', 400],
      ['/api/ask', '{"session":"../etc","text":"hi"}', 'application/json', 400],
      ['/api/ask', '{"session":"ok","text":""}', 'application/json', 400],
      ['/api/ask', JSON.stringify({session: 'ok', text: 'x'.repeat(2001)}), 'application/json', 400],
      ['/api/cancel', '{"session":"ok"}', 'application/json', 400],
      ['/api/nothing', '{"session":"ok"}', 'application/json', 404],
    ];
    const before = (await broker.client.describeTopic('chat')).messages;
    for (const [path, body, type, status] of cases) {
      const res = await post(path, body, type);
      expect(`${path} ${body.slice(0, 40)} ${type}: ${res.status}`).toBe(`${path} ${body.slice(0, 40)} ${type}: ${status}`);
      await res.body?.cancel();
    }
    expect((await broker.client.describeTopic('chat')).messages).toBe(before);
    // the page's config names the stream, never a token
    expect(await (await fetch(`${web.url}/api/config`)).json()).toEqual({stream_url: `${broker.url}/v1/topics/chat/stream`, auth: false});
  });
});
