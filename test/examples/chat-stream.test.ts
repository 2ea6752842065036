import fs from 'node:fs';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {chromium, type Browser, type Page} from 'playwright-core';
import {startLbProcess, type LbProcess} from '../../src/bench/lb-process.js';
import {freePort, LocalCluster, until} from '../../src/bench/local-cluster.js';
import {TokenGenerator, type GeneratedAnswer} from '../../examples/chat-stream/generator.js';
import {startWebServer, type WebServer} from '../../examples/chat-stream/web-server.js';

/**
 * examples/chat-stream in headless Chromium (Debian's, driven by playwright-core): the page streams its session over
 * SSE through `mq lb` in front of three brokers. Mid-answer the page is reloaded, or the broker serving its stream is
 * killed, or the user cancels; the text on the page must end up exactly what the generator published.
 */

// page functions run in the browser; this test's TypeScript has no DOM library, so declare the little it uses
interface El {
  textContent: string | null;
  dataset: Record<string, string | undefined>;
}
declare const document: {querySelector(selector: string): El | null; querySelectorAll(selector: string): ArrayLike<El>; getElementById(id: string): El | null};

const CHROMIUM = process.env.MQ_CHROMIUM ?? '/usr/bin/chromium';
const WORD_PAUSE_MS = 10;
/** Answers of this many words: each is one acknowledged produce (about 100 ms on a loaded 2-core machine). */
const ANSWER_WORDS = 30;
/** The brokers run with auth: the example's server holds this token, the page only short-lived read tokens. */
const ADMIN_TOKEN = 'chat-stream-test-admin-token-0123456789';
/** The page's read tokens live this long: the kill test waits past it, so the page's reconnect needs a new one. */
const READ_TOKEN_TTL_MS = 2000;

/** Holds the generator before one word of the next answer that reaches it, until the test lets it go. */
class Hold {
  private armed: {seq: number; reached: (answer: string) => void; go: Promise<void>; release: () => void} | undefined;

  /** The next answer stops before word `seq`; resolves with the answer's id once it is held there. */
  arm(seq: number): {reached: Promise<string>; release: () => void} {
    let reached!: (answer: string) => void;
    let release!: () => void;
    const r = new Promise<string>((res) => (reached = res));
    const go = new Promise<void>((res) => (release = res));
    this.armed = {seq, reached, go, release};
    return {reached: r, release};
  }

  readonly pace = async (answer: string, seq: number, signal: AbortSignal): Promise<void> => {
    const a = this.armed;
    if (a && seq === a.seq) {
      this.armed = undefined;
      a.reached(answer);
      await Promise.race([a.go, new Promise((r) => signal.addEventListener('abort', r, {once: true}))]);
      return;
    }
    await new Promise((r) => setTimeout(r, WORD_PAUSE_MS));
  };
}

let browser: Browser;
let cluster: LocalCluster;
let lb: LbProcess;
let web: WebServer;
const hold = new Hold();
const generators: TokenGenerator[] = [];
const generatorErrors: string[] = [];

/**
 * What the generators published for an answer. One generator answers a prompt; should it lose its lease (a broker
 * died), the prompt is delivered again and the answer published again under the same ids: the same words. The page
 * can show an answer's last event before the generator has its produce acknowledged (the stream delivers a committed
 * message as soon as it commits), so this waits for the generator's record to be finished.
 */
async function generated(answer: string): Promise<GeneratedAnswer> {
  const finishedRecords = (): GeneratedAnswer[] => generators.map((g) => g.answers.get(answer)).filter((r): r is GeneratedAnswer => r !== undefined && r.status !== 'streaming');
  const finished = (await until(() => (finishedRecords().length > 0 ? finishedRecords() : undefined), 10_000, `a finished generator record of ${answer}`))!;
  for (const r of finished) expect({status: r.status, words: r.words}).toEqual({status: finished[0]!.status, words: finished[0]!.words});
  return finished[0]!;
}

/** Pages a test opened; closed after it, passed or failed, so that no stream outlives its test. */
const pages: Page[] = [];
afterEach(async () => {
  await Promise.all(pages.splice(0).map((p) => p.close().catch(() => undefined)));
});

async function openChat(session: string): Promise<{page: Page; problems: string[]}> {
  const page = await browser.newPage();
  pages.push(page);
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(`${web.url}/?session=${session}`);
  await page.waitForFunction(() => document.getElementById('conn')?.textContent === 'live');
  return {page, problems};
}

async function ask(page: Page, text: string): Promise<void> {
  await page.fill('#prompt', text);
  await page.click('#send');
}

const answerText = (page: Page, answer: string): Promise<string> => page.textContent(`.answer[data-answer="${answer}"] .text`).then((t) => t ?? '');
const wordsShown = (page: Page, answer: string, n: number): Promise<unknown> =>
  page.waitForFunction(([id, k]) => (document.querySelector(`.answer[data-answer="${id}"] .text`)?.textContent ?? '').split(' ').filter(Boolean).length >= k, [answer, n] as const);
const finished = (page: Page, answer: string, status: 'done' | 'cancelled'): Promise<unknown> =>
  page.waitForFunction(([id, s]) => document.querySelector(`.answer[data-answer="${id}"]`)?.dataset.status === s, [answer, status] as const, {timeout: 20_000});
const pageProblems = (page: Page): Promise<string[]> => page.$$eval('#problems li', (lis) => lis.map((li) => li.textContent ?? ''));

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: this test runs the chat page in headless Chromium (apt-get install chromium; .ci/run installs it, MQ_CHROMIUM=path picks another)`);
  }
  // the page comes from the example's web server, the stream from the lb: another origin, which the brokers allow
  const webPort = await freePort();
  const origin = `http://127.0.0.1:${webPort}`;
  [cluster, browser] = await Promise.all([
    LocalCluster.start(3, {args: () => ['--cors-origin', origin], env: {MQ_ADMIN_TOKEN: ADMIN_TOKEN}}),
    chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    }),
  ]);
  lb = await startLbProcess(['--discover', cluster.url(1), '--health-interval', '100ms', '--health-timeout', '100ms', '--fall', '2', '--rise', '2'], {env: {MQ_LB_DISCOVER_INTERVAL_MS: '200'}});
  await until(async () => (await lb.status()).lb!.upstreams.filter((u) => u.state === 'up').length === 3, 15_000, 'three upstreams up at the lb');
  web = await startWebServer({mqUrl: lb.url, port: webPort, token: ADMIN_TOKEN, readTokenTtlMs: READ_TOKEN_TTL_MS});
  // two generators: a prompt goes to one of them, a cancel reaches both
  for (const name of ['g1', 'g2']) {
    generators.push(new TokenGenerator({url: lb.url, token: ADMIN_TOKEN, pace: hold.pace, words: ANSWER_WORDS, consumer: name, onError: (e) => generatorErrors.push(`${name}: ${String(e)}`)}));
  }
  await Promise.all(generators.map((g) => g.start()));
}, 90_000);

afterAll(async () => {
  await Promise.all(generators.map((g) => g.stop()));
  await web?.close();
  await browser?.close();
  if (lb) await lb.stop();
  await cluster?.destroy();
}, 30_000);

describe('examples/chat-stream - three brokers behind mq lb, the page in Chromium', {timeout: 60_000}, () => {
  it('a reload in the middle of an answer shows the whole conversation and the answer continues: nothing lost, nothing repeated', async () => {
    const {page, problems} = await openChat('reload');
    await ask(page, 'what is a replicated log?');
    const first = await page.waitForSelector('.answer').then((el) => el.getAttribute('data-answer'));
    await finished(page, first!, 'done');

    const firstRec = await generated(first!);
    process.stdout.write(`chat-stream: first answer, ${firstRec.words.length} words in ${firstRec.requests} produce requests (${WORD_PAUSE_MS} ms between words)\n`);
    const held = hold.arm(12);
    await ask(page, 'and why can any broker serve the stream?');
    const second = await held.reached;
    await wordsShown(page, second, 12);
    // the generator goes on while the page reloads: words land before, during and after the new page's stream opens
    const reloading = page.reload();
    held.release();
    await reloading;
    await finished(page, second, 'done');

    expect(await page.$$eval('.user', (els) => els.map((e) => e.textContent))).toEqual(['what is a replicated log?', 'and why can any broker serve the stream?']);
    expect(await answerText(page, first!)).toBe((await generated(first!)).words.join(' '));
    expect(await answerText(page, second)).toBe((await generated(second)).words.join(' '));
    expect((await generated(second)).words.length).toBe(ANSWER_WORDS);
    expect(await pageProblems(page)).toEqual([]);
    expect(problems).toEqual([]);
    // the stream needs the page's read token: without one the lb passes on the broker's 401
    const bare = await fetch(`${lb.url}/v1/topics/chat/stream?key=reload`);
    expect(bare.status).toBe(401);
    await bare.body?.cancel();
    await page.close();
  });

  it('kill -9 of the broker serving the page\'s stream in the middle of an answer: the page resumes through the lb, nothing lost, nothing repeated', async () => {
    const {page, problems} = await openChat('kill');
    const held = hold.arm(12);
    await ask(page, 'tell me about failover');
    const answer = await held.reached;
    await wordsShown(page, answer, 12);
    // the lb counts the streams it holds open per upstream: this page's is the only one
    const serving = await until(
      async () => {
        const ups = (await lb.status()).lb!.upstreams;
        const open = ups.filter((u) => u.open_streams > 0);
        return open.length === 1 && open[0]!.open_streams === 1 ? open[0]!.url : undefined;
      },
      10_000,
      'the one upstream serving the page\'s stream',
    );
    const victim = cluster.live().find((n) => cluster.url(n.id) === serving)!.id;
    // past the page's read token: EventSource's own reconnect (same URL) is refused, so the page must get a new token
    // and reopen at its last position (last_event_id=)
    const expiresAt = Number(await page.getAttribute('#conn', 'data-token-expires-at'));
    await until(() => Date.now() > expiresAt, 2 * READ_TOKEN_TTL_MS, 'the page\'s read token to expire');
    const opensBefore = Number(await page.getAttribute('#conn', 'data-opens'));
    const reopensBefore = Number(await page.getAttribute('#conn', 'data-reopens'));
    await cluster.kill(victim);
    held.release();
    await finished(page, answer, 'done');

    const rec = await generated(answer);
    expect(await answerText(page, answer)).toBe(rec.words.join(' '));
    expect(rec.words.length).toBe(ANSWER_WORDS);
    // the stream really broke and was opened again (on another broker: the victim is gone)
    expect(Number(await page.getAttribute('#conn', 'data-opens'))).toBeGreaterThan(opensBefore);
    expect(Number(await page.getAttribute('#conn', 'data-reopens'))).toBeGreaterThan(reopensBefore);
    expect(await pageProblems(page)).toEqual([]);
    expect(problems).toEqual([]);
    process.stdout.write(`chat-stream: broker ${victim} (serving the page's stream) killed mid-answer; the page reopened its stream and shows all ${rec.words.length} words once (the generators retried through ${generatorErrors.length} error(s))\n`);
    await page.close();
  });

  it('cancel from the page: the generator holding the answer stops, and the page shows it cancelled', async () => {
    const {page, problems} = await openChat('cancel');
    const held = hold.arm(8);
    await ask(page, 'write me a very long essay');
    const answer = await held.reached;
    await wordsShown(page, answer, 8);
    await page.click(`.answer[data-answer="${answer}"] .cancel`);
    // a cancel reaches every generator (each reads all of chat.control), whichever broker took it
    await until(() => generators.every((g) => g.isCancelled(answer)), 15_000, 'the cancel at both generators');
    held.release();
    await finished(page, answer, 'cancelled');

    const rec = await generated(answer);
    expect(rec.status).toBe('cancelled');
    expect(rec.words.length).toBe(8);
    expect(await answerText(page, answer)).toBe(rec.words.join(' '));
    expect(await page.textContent(`.answer[data-answer="${answer}"] .status`)).toBe('cancelled');
    expect(await pageProblems(page)).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });
});
