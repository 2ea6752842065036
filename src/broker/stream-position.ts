import {MqError} from '../errors.js';

/**
 * A stream's position: the next offset to read per partition, as SSE event ids carry it ("p0=15,p2=20"), so that a
 * reconnect with Last-Event-ID resumes each partition exactly where the last event left it.
 */
export type Positions = Map<number, number>;

const ENTRY = /^p(\d{1,9})=(\d{1,16})$/;

export function formatPositions(pos: Positions): string {
  return [...pos]
    .sort((a, b) => a[0] - b[0])
    .map(([p, o]) => `p${p}=${o}`)
    .join(',');
}

export function parsePositions(text: string): Positions {
  const out: Positions = new Map();
  if (text.trim() === '') return out;
  for (const part of text.split(',')) {
    const m = ENTRY.exec(part.trim());
    if (!m || !Number.isSafeInteger(Number(m[2]))) throw new MqError('BAD_REQUEST', `Last-Event-ID ${JSON.stringify(text)} is not a stream position (p<partition>=<offset>,...)`);
    out.set(Number(m[1]), Number(m[2]));
  }
  return out;
}
