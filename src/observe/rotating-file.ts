import fs from 'node:fs';
import path from 'node:path';

export interface RotatingFileOptions {
  file: string;
  /** Rotate once the file holds at least this many bytes; 0 never rotates. */
  bytesMax: number;
  /** Rotated files kept: <file>.1 (newest) .. <file>.<keep> (oldest). */
  keep: number;
  /** Lines held for the next write at most; past it write() writes at once (a bound, and backpressure). */
  bufferBytesMax?: number;
}

/**
 * A log destination with size-based rotation done in this process (pino transports need worker files on disk, which
 * the single executable does not have). Lines written during one turn of the event loop are joined and written with
 * one synchronous write at the end of the turn: one syscall per turn, and no write can overtake another, so nothing
 * is reordered or lost across a rotation. Rotation happens only between writes, so a line never spans two files:
 * the file is closed, <file>.N-1 → <file>.N ... <file> → <file>.1, and a new <file> is opened.
 */
export class RotatingFile {
  private fd: number;
  private size: number;
  private pending: string[] = [];
  private pendingBytes = 0;
  private scheduled = false;
  private closed = false;
  rotations = 0;
  droppedBytes = 0;
  private warned = false;
  private readonly bufferBytesMax: number;

  constructor(private readonly opts: RotatingFileOptions) {
    fs.mkdirSync(path.dirname(path.resolve(opts.file)), {recursive: true});
    this.fd = fs.openSync(opts.file, 'a');
    this.size = fs.fstatSync(this.fd).size;
    this.bufferBytesMax = opts.bufferBytesMax ?? 1024 * 1024;
  }

  /** pino's destination interface: one or more whole lines. */
  write(chunk: string): boolean {
    if (this.closed) return false;
    this.pending.push(chunk);
    this.pendingBytes += Buffer.byteLength(chunk);
    if (this.pendingBytes >= this.bufferBytesMax) this.flushSync();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flushInBackground());
    }
    return true;
  }

  /** Writes everything pending now (pino calls it from logger.flush(); also on exit). */
  flushSync(): void {
    this.scheduled = false;
    if (this.pending.length === 0 || this.closed) return;
    const buf = Buffer.from(this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.fd, buf, off, buf.length - off);
    this.size += buf.length;
    if (this.opts.bytesMax > 0 && this.size >= this.opts.bytesMax) this.rotate();
  }

  /** A log that cannot be written (disk full) must not stop the broker: say so once on stderr and drop the lines. */
  private flushInBackground(): void {
    const bytes = this.pendingBytes;
    try {
      this.flushSync();
    } catch (error) {
      this.droppedBytes += bytes;
      this.pending = [];
      this.pendingBytes = 0;
      if (!this.warned) process.stderr.write(`mq: cannot write the log file ${this.opts.file}: ${(error as Error).message}\n`);
      this.warned = true;
    }
  }

  /** pino calls flush(cb) from logger.flush(cb). */
  flush(cb?: (err?: Error) => void): void {
    try {
      this.flushSync();
      cb?.();
    } catch (error) {
      cb?.(error as Error);
    }
  }

  private rotate(): void {
    const {file, keep} = this.opts;
    fs.closeSync(this.fd);
    for (let i = keep - 1; i >= 1; i--) renameIfExists(`${file}.${i}`, `${file}.${i + 1}`);
    renameIfExists(file, `${file}.1`);
    this.fd = fs.openSync(file, 'a');
    this.size = 0;
    this.rotations++;
  }

  end(): void {
    if (this.closed) return;
    this.flushSync();
    this.closed = true;
    fs.closeSync(this.fd);
  }
}

function renameIfExists(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
