const BARS = '▁▂▃▄▅▆▇█';

/**
 * The last `width` values as block characters scaled to their own maximum, right-aligned (newest on the right) and
 * padded with spaces on the left while the history is short. All zeros draw as the lowest bar: "no traffic" is a
 * reading, not a gap.
 */
export function sparkline(values: readonly number[], width: number): string {
  if (width <= 0) return '';
  const tail = values.slice(-width);
  const max = Math.max(0, ...tail);
  const bars = tail.map((v) => (max <= 0 || v <= 0 ? BARS[0] : BARS[Math.min(BARS.length - 1, Math.max(1, Math.round((v / max) * (BARS.length - 1))))]));
  return ' '.repeat(width - tail.length) + bars.join('');
}
