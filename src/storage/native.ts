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
 * Inside the single executable, better-sqlite3's addon is an embedded asset: write it once to a cache directory
 * (content-addressed, so versions never clash and concurrent starts are safe) and load it from there. Falls back to
 * the temp dir when the cache directory is not writable. Outside the executable, better-sqlite3 finds its own addon.
 */
export function sqliteNativeBinding(): object | undefined {
  if (!isSea()) return undefined;
  if (cached) return cached;
  const buf = Buffer.from(getAsset('better_sqlite3.node'));
  const hash = crypto.createHash('sha256').update(buf).digest('hex').slice(0, 16);
  let lastError: unknown;
  for (const dir of [cacheDir(), path.join(os.tmpdir(), 'mq-native')]) {
    const file = path.join(dir, `better_sqlite3-${hash}.node`);
    try {
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
