import {MqError, type Written} from '../errors.js';

/**
 * Whether an error means the disk holding the data is full. SQLite reports ENOSPC on a write as SQLITE_FULL (its unix
 * VFS maps it so), and as SQLITE_IOERR_SHMSIZE when the WAL index (`mq.db-shm`) cannot grow, which it tests by writing
 * each new page of the file (so that a full tmpfs gives an error instead of a SIGBUS); Node's fs says ENOSPC.
 */
export function isDiskFull(error: unknown): boolean {
  if (error instanceof MqError) return error.code === 'DISK_FULL';
  const code = (error as {code?: unknown} | null | undefined)?.code;
  return code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_SHMSIZE' || code === 'ENOSPC';
}

/** DISK_FULL with the storage error it came from as `cause` (logged, never sent to clients). */
export function diskFullError(cause: unknown, written: Written = false, message = 'the disk holding the data directory is full; nothing was written'): MqError {
  const e = new MqError('DISK_FULL', message, undefined, written);
  Object.defineProperty(e, 'cause', {value: cause, enumerable: false});
  return e;
}
