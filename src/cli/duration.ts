const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000};

/** "500ms", "5s", "2m", "1h", "7d" or a bare number of milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new Error(`invalid duration ${JSON.stringify(text)}: use e.g. 500ms, 5s, 2m, 1h, 7d`);
  const ms = Number(m[1]) * UNITS[m[2] ?? 'ms']!;
  if (!Number.isFinite(ms) || ms > Number.MAX_SAFE_INTEGER) throw new Error(`duration ${text} is too large`);
  return Math.round(ms);
}

/** "1KiB", "10MB", "2GiB" or a bare number of bytes. */
export function parseBytes(text: string): number {
  const m = /^(\d+)\s*(B|KB|KiB|MB|MiB|GB|GiB|TB|TiB)?$/i.exec(text.trim());
  if (!m) throw new Error(`invalid size ${JSON.stringify(text)}: use e.g. 512KiB, 10MB, 1GiB`);
  const unit = (m[2] ?? 'B').toLowerCase();
  const mult: Record<string, number> = {b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3, tb: 1e12, tib: 1024 ** 4};
  return Number(m[1]) * mult[unit]!;
}
