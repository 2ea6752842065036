import {pino, type Logger} from 'pino';
import {RotatingFile} from './rotating-file.js';

export type {Logger};

export interface LoggerOptions {
  level?: string;
  /** Log to this file (the seed's broker.log) instead of stdout. */
  file?: string;
  /** With `file`: rotate it to <file>.1 once it passes this many bytes (0: never). */
  fileBytesMax?: number;
  /** With `file`: rotated files kept. */
  filesKeep?: number;
}

/**
 * pino to stdout or a file. Transports need worker files on disk, which the single executable lacks: stdout is a
 * pino destination, and a file is a RotatingFile (size-based rotation in this process).
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  if (opts.file) {
    const dest = new RotatingFile({file: opts.file, bytesMax: opts.fileBytesMax ?? 0, keep: opts.filesKeep ?? 5});
    // whatever is still pending when the process exits (an exit() after a fatal error) is written synchronously
    process.once('exit', () => dest.end());
    return pino({level, base: {pid: process.pid}}, dest);
  }
  return pino({level, base: {pid: process.pid}}, pino.destination({dest: 1, sync: false}));
}

export const silentLogger: Logger = pino({level: 'silent'});
