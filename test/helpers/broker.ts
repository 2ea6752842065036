import fs from 'node:fs';
import {afterEach} from 'vitest';
import os from 'node:os';
import path from 'node:path';
import {Broker} from '../../src/broker/broker.js';
import {resolveBrokerConfig, type BrokerConfig} from '../../src/config/index.js';
import {MqClient} from '../../src/client/index.js';
import {startServer, type RunningServer} from '../../src/server/http-server.js';
import type {Clock} from '../../src/util/clock.js';

export interface TestBroker {
  url: string;
  dataDir: string;
  broker: Broker;
  server: RunningServer;
  client: MqClient;
  /** Stops gracefully; keeps the data directory unless `purge`. */
  stop(opts?: {purge?: boolean}): Promise<void>;
}

export function tempDir(prefix = 'mq-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A real broker (SQLite in a temp dir, HTTP on port 0) in this process. */
export async function startTestBroker(overrides: Partial<Record<keyof BrokerConfig, unknown>> = {}, opts: {clock?: Clock} = {}): Promise<TestBroker> {
  const dataDir = (overrides.dataDir as string | undefined) ?? tempDir();
  const config = resolveBrokerConfig({flags: {listen: '127.0.0.1:0', logLevel: 'silent', ...overrides, dataDir}, env: {}});
  const broker = await Broker.open({config, clock: opts.clock});
  const server = await startServer(broker, {listen: config.listen});
  await broker.startNetwork(server.url);
  const client = new MqClient({url: server.url, timeoutMs: 10_000});
  return {
    url: server.url,
    dataDir,
    broker,
    server,
    client,
    async stop(opts = {}) {
      await client.close();
      await server.close();
      if (opts.purge) fs.rmSync(dataDir, {recursive: true, force: true});
    },
  };
}

/** Polls until fn returns a truthy value (instead of sleeping a fixed time). */
export async function waitFor<T>(fn: () => T | Promise<T>, opts: {timeoutMs?: number; intervalMs?: number; what?: string} = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${opts.what ?? 'condition'}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 25));
  }
}

/**
 * For a describe block: a `start` that starts test brokers (as startTestBroker) and stops and purges every one of
 * them after each test, whatever the test left running.
 */
export function useTestBrokers(): (...args: Parameters<typeof startTestBroker>) => Promise<TestBroker> {
  const started: TestBroker[] = [];
  afterEach(async () => {
    for (const b of started.splice(0)) await b.stop({purge: true}).catch(() => {});
  });
  return async (...args) => {
    const b = await startTestBroker(...args);
    started.push(b);
    return b;
  };
}
