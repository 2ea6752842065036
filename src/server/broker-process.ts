import fs from 'node:fs';
import path from 'node:path';
import {Broker} from '../broker/broker.js';
import type {BrokerConfig} from '../config/index.js';
import {parseProtocolRange, setProcessProtocolRange} from '../cluster/transport/handshake.js';
import {createLogger} from '../observe/logger.js';
import {lockDataDir} from '../storage/index.js';
import {VERSION} from '../version.js';
import {serverTlsOf} from '../security/tls-settings.js';
import {startServer} from './http-server.js';
import {runInForeground, writeAtomic} from '../util/foreground.js';

export interface BrokerProcess {
  url: string;
  /** The peer listener's URL, in a cluster. */
  peerUrl: string | null;
  pidFile: string | undefined;
  /** Resolves when the broker has stopped (after a signal or stop()). */
  stopped: Promise<void>;
  stop(): Promise<void>;
}

/**
 * `mq broker start` in the foreground: lock the data directory, open the broker, serve HTTP, write the pid and ready
 * files, and stop gracefully on SIGTERM/SIGINT (a second signal exits at once).
 */
export async function runBrokerProcess(config: BrokerConfig): Promise<BrokerProcess> {
  const logger = createLogger({level: config.logLevel, file: config.logFile, fileBytesMax: config.logFileBytesMax, filesKeep: config.logFilesKeep});
  // a broker process posing as another release (mixed-version tests); set before any peer transport exists
  if (config.peerProtocol) setProcessProtocolRange(parseProtocolRange(config.peerProtocol));
  // read (and checked) before anything listens; the broker reads its peer TLS from the same settings
  const tls = serverTlsOf(config);
  const unlock = config.inMemory ? () => {} : lockDataDir(config.dataDir);
  let broker: Broker;
  try {
    broker = await Broker.open({config, logger});
  } catch (error) {
    unlock();
    throw error;
  }
  const server = await startServer(broker, {listen: config.listen, advertise: config.advertise, tls}).catch(async (error: unknown) => {
    await broker.close();
    unlock();
    throw error;
  });
  let peerUrl: string | null;
  try {
    peerUrl = await broker.startNetwork(server.url);
  } catch (error) {
    await server.close();
    unlock();
    throw error;
  }
  const pidFile = config.pidFile ?? (config.inMemory ? undefined : path.join(config.dataDir, 'broker.pid'));
  if (pidFile) writeAtomic(pidFile, `${process.pid}\n`);
  if (config.readyFile) writeAtomic(config.readyFile, JSON.stringify({node_id: config.nodeId, url: server.url, peer_url: peerUrl, pid: process.pid}) + '\n');

  const {stopped, stop} = runInForeground(
    logger,
    'broker',
    () => server.close(),
    () => {
      if (pidFile) fs.rmSync(pidFile, {force: true});
      unlock();
    },
  );
  logger.info({url: server.url, peerUrl, dataDir: config.inMemory ? null : path.resolve(config.dataDir), version: VERSION, nodeId: config.nodeId}, 'broker ready');
  return {url: server.url, peerUrl, pidFile, stopped, stop};
}
