import fs from 'node:fs';
import path from 'node:path';
import {pino, type Logger} from 'pino';

export type {Logger};

export interface LoggerOptions {
  level?: string;
  /** Log to this file (the seed's broker.log) instead of stdout. */
  file?: string;
}

/** pino to stdout or a file. Transports need worker files on disk, which the single executable lacks: use a destination. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  if (opts.file) {
    fs.mkdirSync(path.dirname(path.resolve(opts.file)), {recursive: true});
    return pino({level, base: {pid: process.pid}}, pino.destination({dest: opts.file, sync: false, mkdir: true}));
  }
  return pino({level, base: {pid: process.pid}}, pino.destination({dest: 1, sync: false}));
}

export const silentLogger: Logger = pino({level: 'silent'});
