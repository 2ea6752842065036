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

/** 1536 -> "1.5 KiB": for log lines and messages people read. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
