import type {RunState} from './load.js';

const WIDTH = 30;
const EVERY_MS = 200;

/** One line of progress, redrawn in place: a bar when the run has a message count or a duration, else a counter. */
export function progressLine(phase: string, s: Pick<RunState, 'done' | 'total' | 'durationMs' | 'elapsedMs' | 'errors'>): string {
  const secs = s.elapsedMs / 1000;
  const rate = secs > 0 ? Math.round(s.done / secs).toLocaleString('en-US') : '0';
  const frac = s.total !== undefined ? s.done / s.total : s.durationMs !== undefined ? s.elapsedMs / s.durationMs : undefined;
  const bar = frac === undefined ? '' : (() => {
    const f = Math.max(0, Math.min(1, frac));
    const n = Math.round(f * WIDTH);
    return `[${'#'.repeat(n)}${'-'.repeat(WIDTH - n)}] ${(f * 100).toFixed(0).padStart(3)}% `;
  })();
  const of = s.total !== undefined ? `/${s.total.toLocaleString('en-US')}` : '';
  return `${phase.padEnd(18)} ${bar}${s.done.toLocaleString('en-US')}${of} msgs  ${rate} msg/s  ${secs.toFixed(1)} s${s.errors ? `  errors ${s.errors}` : ''}`;
}

/** Live progress on a terminal (stderr by default); does nothing on a pipe or a file, so --json and --csv stay clean. */
export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private width = 0;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  get enabled(): boolean {
    return this.out.isTTY === true;
  }

  start(phase: string, state: RunState): void {
    if (!this.enabled) return;
    this.stop();
    const draw = (): void => {
      const line = progressLine(phase, state);
      this.out.write(`\r${line.padEnd(this.width)}`);
      this.width = line.length;
    };
    draw();
    this.timer = setInterval(draw, EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.out.write(`\r${' '.repeat(this.width)}\r`);
    this.width = 0;
  }
}
