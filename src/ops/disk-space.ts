import fs from 'node:fs';

export interface DiskSpace {
  /** Bytes this process may still write (statfs' available blocks: what is left for unprivileged users). */
  freeBytes: number;
  totalBytes: number;
}

/** Free and total space of the file system holding `dir`; undefined when it cannot be asked (no such directory). */
export function diskSpace(dir: string): DiskSpace | undefined {
  try {
    const st = fs.statfsSync(dir);
    return {freeBytes: st.bavail * st.bsize, totalBytes: st.blocks * st.bsize};
  } catch {
    return undefined;
  }
}

export {formatBytes} from '../util/format.js';
