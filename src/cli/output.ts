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

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}
