import fs from 'node:fs';
import path from 'node:path';
import type {Logger} from '../observe/logger.js';

/** Writes a file whole or not at all (a reader polling for a ready or pid file never sees half of it). */
export function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), {recursive: true});
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

export interface Foreground {
  /** Resolves once the process has stopped (after SIGTERM/SIGINT or stop()). */
  stopped: Promise<void>;
  stop(): Promise<void>;
}

/**
 * A server process in the foreground (`mq broker start`, `mq lb`): the first SIGTERM or SIGINT stops it gracefully
 * (`close`, then `cleanup`), a second one exits at once with 130.
 */
export function runInForeground(logger: Logger, name: string, close: () => Promise<void>, cleanup: () => void): Foreground {
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      logger.info(`${name} stopping`);
      try {
        await close();
      } catch (err) {
        logger.error({err}, 'error while stopping');
      }
      cleanup();
      logger.info(`${name} stopped`);
      logger.flush();
      resolveStopped();
    })());
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (++signals > 1) {
      logger.warn({signal: sig}, 'second signal: exiting now');
      process.exit(130);
    }
    logger.info({signal: sig}, 'signal received');
    void stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  void stopped.then(() => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  });
  return {stopped, stop};
}
