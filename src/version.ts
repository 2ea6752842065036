import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

declare const __MQ_VERSION__: string | undefined;

/** The single executable gets the version baked in at build time; otherwise it is read from package.json above us. */
function readVersion(): string {
  if (typeof __MQ_VERSION__ === 'string') return __MQ_VERSION__;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {name?: string; version?: string};
      if (pkg.name === 'mq' && pkg.version) return pkg.version;
    } catch {
      // keep walking up
    }
    dir = path.dirname(dir);
  }
  return '0.0.0-unknown';
}

export const VERSION = readVersion();
/** The on-disk format this build writes (see storage/sql.ts); reported by --version and /status. */
export {FORMAT_VERSION} from './storage/sql.js';
