import chalk from 'chalk';

/** Colour only when a person is watching: chalk already turns itself off when stdout is not a TTY. */
export const c = chalk;

/** A plain aligned table; the first row is the header. */
export function table(rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>): string {
  const cells = rows.map((r) => r.map((v) => (v === null || v === undefined ? '-' : String(v))));
  const widths: number[] = [];
  for (const r of cells) r.forEach((v, i) => (widths[i] = Math.max(widths[i] ?? 0, v.length)));
  return cells
    .map((r, ri) => {
      const line = r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]!))).join('  ');
      return ri === 0 ? c.bold(line) : line;
    })
    .join('\n');
}

export {formatBytes, formatDuration} from '../util/format.js';
