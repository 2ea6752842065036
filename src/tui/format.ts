/** Figures as `mq top` (and `mq status`) print them; bytes and durations are the CLI's own (src/util/format.ts). */
export {formatBytes, formatDuration} from '../util/format.js';

/** Rates print with one decimal below 10/s, whole numbers above: readable at a glance, stable when refreshed. */
export function formatRate(perSecond: number | undefined): string {
  const v = perSecond ?? 0;
  if (v === 0) return '0';
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  return v < 10 ? v.toFixed(1) : String(Math.round(v));
}
