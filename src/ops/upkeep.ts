import fs from 'node:fs';
import path from 'node:path';
import type {Broker} from '../broker/broker.js';
import type {DiskStatus} from '../observe/status-model.js';
import {diskSpace, formatBytes} from './disk-space.js';

/** Pages moved by one incremental vacuum step (8 MiB at 4 KiB pages: a few ms of the event loop). */
const RECLAIM_PAGES_PER_STEP = 2048;
/** Free pages always kept for reuse: steady retention refills them, so giving them back would only churn. */
const RECLAIM_KEEP_PAGES_MIN = 1024;
const TICK_MS = 1000;
export const RESERVE_FILE = 'reserve';

/**
 * Background care of the data directory's disk, one per broker: it warns (log, /status, /metrics) when free space
 * falls below `diskLowBytes`, keeps the optional reserve file, and gives pages that retention freed back to the file
 * system in small steps (SqliteStore.reclaim). Runs on a timer that stops once the broker closes; every step is
 * bounded, so it never holds the event loop for long.
 */
export class StorageUpkeep {
  private readonly timer: NodeJS.Timeout | undefined;
  private low = false;
  private reserving: Promise<void> | undefined;

  constructor(private readonly broker: Broker) {
    if (broker.config.inMemory) return;
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
    this.tick();
  }

  private get dir(): string {
    return this.broker.config.dataDir;
  }

  disk(): DiskStatus | null {
    const b = this.broker;
    if (b.config.inMemory) return null;
    const space = diskSpace(this.dir);
    if (!space) return null;
    const full = b.host.diskFull;
    return {
      path: path.resolve(this.dir),
      free_bytes: space.freeBytes,
      total_bytes: space.totalBytes,
      low_bytes: b.config.diskLowBytes,
      low: space.freeBytes < b.config.diskLowBytes,
      full: full !== undefined,
      full_since: full?.since ?? null,
      refused_writes: b.host.diskFullRefusals,
      reserve_bytes: this.reserveBytes(),
    };
  }

  private reserveBytes(): number {
    try {
      return fs.statSync(path.join(this.dir, RESERVE_FILE)).size;
    } catch {
      return 0;
    }
  }

  /** Runs on a timer, where an exception would take the broker down: each part logs its own failure and moves on. */
  private tick(): void {
    if (this.broker.isClosing) return this.stop();
    const disk = this.disk();
    if (disk) this.warnIfLow(disk);
    if (disk && !disk.full) this.reclaim();
    if (disk && !disk.full) this.keepReserve(disk);
  }

  private warnIfLow(d: DiskStatus): void {
    const log = this.broker.logger;
    if (!this.low && d.low) {
      this.low = true;
      log.warn({dataDir: d.path, freeBytes: d.free_bytes, lowBytes: d.low_bytes}, `disk space is low: ${formatBytes(d.free_bytes)} free (warning below ${formatBytes(d.low_bytes)})`);
    } else if (this.low && d.free_bytes > d.low_bytes * 1.1) {
      // 10% above the threshold before the all-clear, so that free space hovering at it does not flood the log
      this.low = false;
      log.info({dataDir: d.path, freeBytes: d.free_bytes}, `disk space is back above the warning threshold: ${formatBytes(d.free_bytes)} free`);
    }
  }

  private reclaim(): void {
    try {
      const pages = this.broker.store.stats().space?.pages ?? 0;
      this.broker.store.reclaim(RECLAIM_PAGES_PER_STEP, Math.max(RECLAIM_KEEP_PAGES_MIN, Math.floor(pages / 8)));
    } catch (err) {
      this.broker.logger.warn({err}, 'could not give free pages back to the file system; will retry');
    }
  }

  /**
   * The reserve is plain bytes the operator can delete to get room when the disk fills up (docs/operations.md, "Disk
   * space"); it is (re)written only while there is room for it twice over, so it never causes the shortage itself.
   */
  private keepReserve(d: DiskStatus): void {
    const want = this.broker.config.diskReserveBytes;
    if (want === 0 || this.reserving || d.reserve_bytes >= want || d.free_bytes < 2 * (want - d.reserve_bytes)) return;
    const file = path.join(this.dir, RESERVE_FILE);
    this.reserving = writeReserve(file, want)
      .then(() => this.broker.logger.info({file, bytes: want}, 'disk reserve file written'))
      .catch((err: unknown) => {
        fs.rmSync(`${file}.tmp`, {force: true});
        this.broker.logger.warn({err, file}, 'could not write the disk reserve file');
      })
      .finally(() => (this.reserving = undefined));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

/** Real blocks (a sparse file would reserve nothing), written in chunks so the event loop stays free; then renamed into place. */
async function writeReserve(file: string, bytes: number): Promise<void> {
  const tmp = `${file}.tmp`;
  const fh = await fs.promises.open(tmp, 'w', 0o600);
  try {
    const chunk = Buffer.alloc(Math.min(bytes, 1024 * 1024));
    for (let done = 0; done < bytes; done += chunk.length) await fh.write(chunk, 0, Math.min(chunk.length, bytes - done));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.promises.rename(tmp, file);
}

const upkeeps = new WeakMap<Broker, StorageUpkeep>();

/** The broker's upkeep, started on first use (the HTTP server starts it when it is ready). */
export function upkeepFor(broker: Broker): StorageUpkeep {
  let u = upkeeps.get(broker);
  if (!u) {
    u = new StorageUpkeep(broker);
    upkeeps.set(broker, u);
  }
  return u;
}
