import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {Broker} from './broker/broker.js';
import type {BrokerConfig} from './config/index.js';

export interface EmbeddedBrokerOptions {
  /** Keep data here (created if missing). Default: a fresh temporary directory, removed by stop(). */
  dataDir?: string;
  /** Keep everything in memory: fastest, nothing survives stop(). */
  inMemory?: boolean;
  /** host:port to listen on; default 127.0.0.1 on a free port. */
  listen?: string;
  /** Any other broker setting (see docs/operations.md), e.g. {autoCreateTopics: false}. */
  settings?: Partial<Record<keyof BrokerConfig, unknown>>;
}

export interface EmbeddedBroker {
  url: string;
  broker: Broker;
  /** Stops the broker; removes the data directory if it was a temporary one. */
  stop(): Promise<void>;
}

/**
 * Runs a real broker inside this process, for users' own test suites:
 *
 *   const mq = await startBroker({inMemory: true});
 *   const producer = new Producer({url: mq.url});
 *   ...
 *   await mq.stop();
 */
export async function startBroker(opts: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  // loaded on use: an application that only produces and consumes never pays for fastify and SQLite
  const [{Broker}, {resolveBrokerConfig}, {startServer}] = await Promise.all([import('./broker/broker.js'), import('./config/index.js'), import('./server/http-server.js')]);
  const temp = opts.dataDir === undefined && !opts.inMemory ? fs.mkdtempSync(path.join(os.tmpdir(), 'mq-embedded-')) : undefined;
  const config = resolveBrokerConfig({
    env: {},
    flags: {logLevel: 'silent', ...opts.settings, listen: opts.listen ?? '127.0.0.1:0', dataDir: opts.dataDir ?? temp ?? './mq-data', inMemory: opts.inMemory ?? false},
  });
  const broker = await Broker.open({config});
  const server = await startServer(broker, {listen: config.listen});
  await broker.startNetwork(server.url);
  return {
    url: server.url,
    broker,
    async stop() {
      await server.close();
      if (temp) fs.rmSync(temp, {recursive: true, force: true});
    },
  };
}
