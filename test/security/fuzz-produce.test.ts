import fc from 'fast-check';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {ERROR_SPECS} from '../../src/errors.js';
import {startTestBroker, type TestBroker} from '../helpers/broker.js';
import {anyText, fuzz, mutate, ws} from './fuzz-kit.js';
import type {ErrorShape} from './hostile-kit.js';

const PARTITIONS = 3;
const RUNS = 200;

interface Sent {
  /** The exact bytes each message's value must be stored as (JSON values keep their spelling), when the test knows them. */
  valueBytes?: Buffer;
  /** Otherwise: the value as JSON.parse of the body sees it. */
  value?: unknown;
  valueBase64?: string;
  key: string | null;
}

const envelope = fc.record(
  {
    value: fc.jsonValue({maxDepth: 3}),
    key: anyText(10),
    headers: fc.dictionary(anyText(4), anyText(6), {maxKeys: 3}),
    priority: fc.integer({min: -1, max: 10}),
    partition: fc.integer({min: -1, max: PARTITIONS}),
  },
  {requiredKeys: ['value']},
);
type Env = typeof envelope extends fc.Arbitrary<infer T> ? T : never;

function text(e: Env, space: string): {text: string; valueText: string} {
  const valueText = JSON.stringify(e.value);
  const fields = [`"value":${space}${valueText}`];
  for (const [k, v] of Object.entries(e)) if (k !== 'value' && v !== undefined) fields.push(`${JSON.stringify(k)}:${space}${JSON.stringify(v)}`);
  return {text: `{${space}${fields.join(`,${space}`)}}`, valueText};
}

/** A generated request: a body, its content type, and what an acceptance must store (for well-formed bodies). */
const request = fc.oneof(
  {weight: 3, arbitrary: fc.tuple(fc.array(envelope, {minLength: 1, maxLength: 5}), ws, fc.constantFrom('single', 'batch', 'ndjson')).map(([envs, space, shape]) => {
    const t = envs.map((e) => text(e, shape === 'ndjson' ? space.replace(/\n/g, ' ') : space));
    const body = shape === 'single' ? t[0]!.text : shape === 'batch' ? `{"messages":[${t.map((x) => x.text).join(',')}]}` : t.map((x) => x.text).join('\n');
    const used = shape === 'single' ? t.slice(0, 1) : t;
    return {body: Buffer.from(body), type: shape === 'ndjson' ? 'application/x-ndjson' : 'application/json', exact: used.map((x, i) => ({valueBytes: Buffer.from(x.valueText), key: (shape === 'single' ? envs[0]! : envs[i]!).key ?? null}))};
  })},
  {weight: 2, arbitrary: fc.tuple(mutate(fc.array(envelope, {minLength: 1, maxLength: 3}).map((envs) => Buffer.from(`{"messages":[${envs.map((e) => text(e, '').text).join(',')}]}`))), fc.constantFrom('application/json', 'application/x-ndjson')).map(([body, type]) => ({body, type, exact: undefined}))},
  {weight: 1, arbitrary: fc.tuple(fc.uint8Array({maxLength: 120}), fc.constantFrom('application/json', 'application/x-ndjson', 'text/plain')).map(([b, type]) => ({body: Buffer.from(b), type, exact: undefined}))},
);

/** What JSON.parse sees in an accepted body that the test did not build itself. */
function parsedMessages(body: Buffer, type: string): Sent[] {
  const t = body.toString('utf8');
  const docs = (type === 'application/x-ndjson' ? t.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l)) : [JSON.parse(t)]) as Array<Record<string, unknown>>;
  const list = type === 'application/x-ndjson' ? docs : docs[0]!.messages !== undefined ? (docs[0]!.messages as Array<Record<string, unknown>>) : docs;
  return list.map((d) => ({value: d.value, valueBase64: d.value_base64 as string | undefined, key: (d.key as string | undefined) ?? null}));
}

describe('fuzz - the produce endpoint of a real broker', () => {
  let b: TestBroker;
  let stored = 0;

  beforeAll(async () => {
    b = await startTestBroker({unsafeNoFsync: true, autoCreateTopics: false, messageBytesMax: 4096, batchMessagesMax: 4, headersCountMax: 2, keyBytesMax: 16});
    await b.client.createTopic({name: 'fz', partitions: PARTITIONS});
  });

  afterAll(async () => {
    await b.stop({purge: true});
  });

  const total = async (): Promise<number> => (await b.client.describeTopic('fz')).messages;

  it(`every response is a success that reads back identical, or a JSON error with a known code and nothing written (${RUNS} runs)`, async () => {
    await fuzz(
      fc.asyncProperty(request, async (r) => {
        const res = await fetch(`${b.url}/v1/topics/fz/messages`, {method: 'POST', headers: {'content-type': r.type}, body: new Blob([r.body])});
        const bodyText = await res.text();
        expect(res.headers.get('content-type'), bodyText).toMatch(/^application\/json/);
        const doc = JSON.parse(bodyText) as ErrorShape & {partition?: number; offset?: number; results?: Array<{partition: number; offset: number} | ErrorShape>};
        if (res.status !== 200) {
          expect(res.status, bodyText).toBeGreaterThanOrEqual(400);
          expect(res.status, bodyText).toBeLessThan(500);
          expect(Object.keys(ERROR_SPECS)).toContain(doc.error.code);
          expect(doc.error.written).toBe(false);
          expect(await total()).toBe(stored);
          return;
        }
        const results = doc.results ?? [doc as {partition: number; offset: number}];
        const sent: Sent[] = r.exact ?? parsedMessages(r.body, r.type);
        expect(results).toHaveLength(sent.length);
        let ok = 0;
        for (const [i, item] of results.entries()) {
          if ('error' in item) continue; // a per-message failure in a batch (its partition, say): not written
          ok++;
          const page = (await (await fetch(`${b.url}/v1/topics/fz/partitions/${item.partition}/messages?offset=${item.offset}&max_messages=1&value_encoding=base64`)).json()) as {messages: Array<{offset: number; key: string | null; value_type: string; value_base64: string}>};
          const m = page.messages[0]!;
          expect(m.offset).toBe(item.offset);
          expect(m.key).toBe(sent[i]!.key);
          const got = Buffer.from(m.value_base64, 'base64');
          if (sent[i]!.valueBytes) expect(got.equals(sent[i]!.valueBytes!)).toBe(true);
          else if (sent[i]!.valueBase64 !== undefined) expect(m.value_base64).toBe(sent[i]!.valueBase64);
          else expect(JSON.parse(got.toString('utf8'))).toEqual(sent[i]!.value);
        }
        stored += ok;
        expect(await total()).toBe(stored);
      }),
      RUNS,
    );
    // the broker still serves, and the property saw both outcomes
    expect((await b.client.health()).status).toBe('ok');
    expect(stored).toBeGreaterThan(0);
  }, 90_000);
});
