/**
 * Figures as `mq top` (and `mq status`) print them. The byte and duration formats are the CLI's (src/cli/output.ts),
 * repeated here so that the TUI depends on no CLI module (STYLE: tui → client only); a test keeps the two identical.
 */

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

/** Rates print with one decimal below 10/s, whole numbers above: readable at a glance, stable when refreshed. */
export function formatRate(perSecond: number | undefined): string {
  const v = perSecond ?? 0;
  if (v === 0) return '0';
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  return v < 10 ? v.toFixed(1) : String(Math.round(v));
}
