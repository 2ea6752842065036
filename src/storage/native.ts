import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {getAsset, isSea} from 'node:sea';

let cached: object | undefined;

function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return path.join(base, 'mq', 'native');
}

/**
 * The temp-dir fallback must be this user's alone: in a shared /tmp another user could otherwise plant a library
 * there for us to load. Created with mode 0700, and refused unless we own it and nobody else can write to it.
 */
function privateTempDir(): string {
  const dir = path.join(os.tmpdir(), `mq-${process.getuid?.() ?? 'user'}`, 'native');
  fs.mkdirSync(dir, {recursive: true, mode: 0o700});
  for (const d of [path.dirname(dir), dir]) {
    const st = fs.lstatSync(d);
    if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid()) || (st.mode & 0o022) !== 0) {
      throw new Error(`${d} is not a private directory of this user`);
    }
  }
  return dir;
}

/**
 * Inside the single executable, better-sqlite3's addon is an embedded asset: write it once to a cache directory
 * (content-addressed, so versions never clash and concurrent starts are safe) and load it from there. Falls back to
 * a private directory in the temp dir when the cache directory is not writable. Outside the executable,
 * better-sqlite3 finds its own addon.
 */
export function sqliteNativeBinding(): object | undefined {
  if (!isSea()) return undefined;
  if (cached) return cached;
  const buf = Buffer.from(getAsset('better_sqlite3.node'));
  const hash = crypto.createHash('sha256').update(buf).digest('hex').slice(0, 16);
  let lastError: unknown;
  for (const dirOf of [cacheDir, privateTempDir]) {
    try {
      const dir = dirOf();
      const file = path.join(dir, `better_sqlite3-${hash}.node`);
      if (!fs.existsSync(file)) {
        fs.mkdirSync(dir, {recursive: true});
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, buf, {mode: 0o755});
        fs.renameSync(tmp, file);
      }
      const mod = {exports: {}};
      process.dlopen(mod, file);
      cached = mod.exports;
      return cached;
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`cannot load the embedded SQLite addon: ${String(lastError)}`);
}
