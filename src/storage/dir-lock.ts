import fs from 'node:fs';
import path from 'node:path';
import {MqError} from '../errors.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One broker per data directory: two processes appending to one SQLite log would each believe they own the
 * offsets. The lock is a file holding the owner's pid; a lock left by a dead process is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, {recursive: true});
  const file = path.join(dataDir, 'LOCK');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), {flag: 'wx'});
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8') === String(process.pid)) fs.unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(fs.readFileSync(file, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new MqError('INVALID_CONFIG', `data directory ${dataDir} is in use by another broker (pid ${owner})`, {pid: owner});
      }
      fs.rmSync(file, {force: true});
    }
  }
  throw new MqError('INVALID_CONFIG', `cannot lock data directory ${dataDir}`);
}
