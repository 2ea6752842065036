import fs from 'node:fs';
import {createLogger} from '../observe/logger.js';
import {VERSION} from '../version.js';
import type {LbConfig} from './lb-config.js';
import {startLb, type RunningLb} from './lb-server.js';
import {runInForeground, writeAtomic} from '../util/foreground.js';

export interface LbProcess {
  lb: RunningLb;
  /** Resolves once the lb has drained and stopped (after SIGTERM/SIGINT or stop()). */
  stopped: Promise<void>;
  stop(): Promise<void>;
}

/**
 * `mq lb` in the foreground: serve, write the pid and ready files, and drain on SIGTERM/SIGINT (streams are ended at
 * once, requests get up to drainTimeoutMs); a second signal exits at once.
 */
export async function runLbProcess(config: LbConfig): Promise<LbProcess> {
  const logger = createLogger({level: config.logLevel, file: config.logFile});
  const lb = await startLb(config, {logger});
  if (config.pidFile) writeAtomic(config.pidFile, `${process.pid}\n`);
  if (config.readyFile) writeAtomic(config.readyFile, JSON.stringify({role: 'lb', url: lb.url, pid: process.pid}) + '\n');
  const {stopped, stop} = runInForeground(logger, 'lb', () => lb.close(), () => {
    if (config.pidFile) fs.rmSync(config.pidFile, {force: true});
  });
  logger.info({url: lb.url, upstreams: lb.upstreams.list.map((u) => u.url), strategy: config.strategy, version: VERSION}, 'lb ready');
  return {lb, stopped, stop};
}
