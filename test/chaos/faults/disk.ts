import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type {Random} from '../../../src/util/random.js';

/**
 * Storage faults on a broker's data directory: a small tmpfs that can be filled (disk full), bit flips and a
 * truncated WAL on a stopped replica, a wiped directory. Damage is done only while the broker is stopped (kill -9),
 * as a bad disk or an operator would leave it; the broker must find it at start-up or on read.
 */

/** Mounts a tmpfs of `bytes` at `dir` (needs root; Linux). */
export function mountTmpfs(dir: string, bytes: number): void {
  fs.mkdirSync(dir, {recursive: true});
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
}

export function unmount(dir: string): void {
  try {
    execFileSync('umount', ['-l', dir]);
  } catch {
    // not mounted
  }
}

/** Whether tmpfs can be mounted here (root on Linux). */
export function canMountTmpfs(scratch: string): boolean {
  const dir = path.join(scratch, 'probe-tmpfs');
  try {
    mountTmpfs(dir, 1024 * 1024);
    unmount(dir);
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(dir, {recursive: true, force: true});
  }
}

const BALLAST = '.chaos-ballast';

/** Fills the filesystem holding `dir` until writes fail with ENOSPC, leaving `leaveBytes` free. Returns bytes written. */
export function fillDisk(dir: string, leaveBytes = 0): number {
  const {bavail, bsize} = fs.statfsSync(dir);
  const target = Math.max(0, bavail * bsize - leaveBytes);
  const fd = fs.openSync(path.join(dir, BALLAST), 'a');
  const chunk = Buffer.alloc(1024 * 1024);
  let written = 0;
  try {
    while (written < target) written += fs.writeSync(fd, chunk, 0, Math.min(chunk.length, target - written));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    fs.closeSync(fd);
  }
  return written;
}

export function freeDisk(dir: string): void {
  fs.rmSync(path.join(dir, BALLAST), {force: true});
}

export interface Damage {
  file: string;
  offset: number;
  bit: number;
}

/**
 * Flips one bit inside stored message values: in every copy of the marker found in the database and its WAL (the
 * newest copy of a page may be in either), the byte `markerOffset` into the marker. Returns what was flipped.
 */
export function flipBits(dataDir: string, marker: string, random: Random): Damage[] {
  const needle = Buffer.from(marker);
  const out: Damage[] = [];
  for (const name of ['mq.db', 'mq.db-wal']) {
    const file = path.join(dataDir, name);
    if (!fs.existsSync(file)) continue;
    const buf = fs.readFileSync(file);
    for (let at = buf.indexOf(needle); at !== -1; at = buf.indexOf(needle, at + 1)) {
      const offset = at + random.int(0, needle.length - 1);
      const bit = random.int(0, 7);
      buf[offset] = buf[offset]! ^ (1 << bit);
      out.push({file: name, offset, bit});
    }
    if (out.some((d) => d.file === name)) fs.writeFileSync(file, buf);
  }
  return out;
}

/** Cuts the WAL to `keep` of its length (a torn write at the end of the log). Returns the bytes removed. */
export function truncateWal(dataDir: string, keep: number): number {
  const file = path.join(dataDir, 'mq.db-wal');
  if (!fs.existsSync(file)) return 0;
  const size = fs.statSync(file).size;
  const to = Math.floor(size * keep);
  fs.truncateSync(file, to);
  return size - to;
}

/** Removes everything in the data directory (the directory itself stays, e.g. a mount point). */
export function wipe(dataDir: string): void {
  if (!fs.existsSync(dataDir)) return;
  for (const name of fs.readdirSync(dataDir)) if (name !== BALLAST) fs.rmSync(path.join(dataDir, name), {recursive: true, force: true});
}
