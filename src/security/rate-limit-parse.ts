const SIZE: Record<string, number> = {'': 1, b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3};
const PER: Record<string, number> = {'': 1, s: 1, sec: 1, m: 60, min: 60, h: 3600};

/**
 * A rate as flags write it, per second: `1000/s`, `1000` (per second), `60000/m`; with `bytes`, sizes too: `10MB/s`,
 * `512KiB`. Rounded down to a whole number per second, at least 1.
 */
export function parseRate(text: string, opts: {bytes?: boolean} = {}): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)\s*(?:\/\s*([a-z]+))?$/i.exec(text.trim());
  const unit = (m?.[2] ?? '').toLowerCase();
  const per = (m?.[3] ?? '').toLowerCase();
  const mult = opts.bytes ? SIZE[unit] : unit === '' ? 1 : undefined;
  if (!m || mult === undefined || PER[per] === undefined) {
    throw new Error(`invalid rate ${JSON.stringify(text)}: use e.g. ${opts.bytes ? '10MB/s, 512KiB/s' : '1000/s, 60000/m'}`);
  }
  return Math.max(1, Math.floor((Number(m[1]) * mult) / PER[per]));
}
