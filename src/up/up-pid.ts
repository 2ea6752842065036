import fs from 'node:fs';
import {processAlive} from '../cli/detach.js';

/** Alive and not a zombie (Linux: a killed process whose parent has not reaped it yet still answers kill(pid, 0)). */
export function running(pid: number): boolean {
  if (!processAlive(pid)) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] !== 'Z';
  } catch {
    return !fs.existsSync('/proc/self');
  }
}

/** The pid in a pid file if that process is alive, else undefined (a stale file is left for the caller). */
export function livePid(file: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 && running(pid) ? pid : undefined;
}

/** Takes the pid file for this process; false if a live process holds it (a stale one is replaced). */
export function takePidFile(file: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, {flag: 'wx'});
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (livePid(file) !== undefined) return false;
      fs.rmSync(file, {force: true});
    }
  }
  return false;
}

export function releasePidFile(file: string): void {
  if (livePid(file) === process.pid) fs.rmSync(file, {force: true});
}
