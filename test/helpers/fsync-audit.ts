/**
 * The fsync audit of DESIGN §9. A `kill -9` keeps the page cache, so it cannot show a missing fsync; a trace can.
 * From an strace of the broker (openat, close, writes, fsyncs), it checks that every acknowledged produce had its
 * data written to the -wal file and that file fsynced after that write and before the response left the broker.
 */

export interface TraceEvent {
  line: number;
  kind: 'walWrite' | 'walSync' | 'socketWrite';
  text: string;
}

export interface Ack {
  /** A string unique to the message's value, found in the WAL page that holds it. */
  marker: string;
  /** A string unique to its HTTP response, e.g. `"offset":12,`. */
  response: string;
}

export interface Violation {
  ack: Ack;
  problem: 'no response found' | 'not written to the WAL before the response' | 'WAL not fsynced between its write and the response';
}

const CALL = /^(?:\[pid\s+)?(\d+)\]?\s+(\w+)\((.*)$/;

/** Reads strace -f output: which descriptor is the WAL, and the order of WAL writes, WAL fsyncs and socket writes. */
export function parseTrace(trace: string): TraceEvent[] {
  const files = new Map<number, string>();
  const events: TraceEvent[] = [];
  trace.split('\n').forEach((raw, line) => {
    const m = CALL.exec(raw);
    if (!m) return;
    const [, , call, rest] = m as unknown as [string, string, string, string];
    const fd = Number(/^(\d+)/.exec(rest)?.[1] ?? Number.NaN);
    const ret = /=\s+(-?\d+)/.exec(rest.slice(rest.lastIndexOf(')')))?.[1];
    if (call === 'openat') {
      const path = /"([^"]*)"/.exec(rest)?.[1];
      if (path && ret !== undefined && Number(ret) >= 0) files.set(Number(ret), path);
      return;
    }
    if (call === 'close') {
      files.delete(fd);
      return;
    }
    const path = files.get(fd);
    const isWal = path?.endsWith('-wal') ?? false;
    const text = rest.replace(/\\"/g, '"');
    if ((call === 'fsync' || call === 'fdatasync') && isWal) events.push({line, kind: 'walSync', text: ''});
    else if ((call === 'pwrite64' || call === 'write' || call === 'pwritev') && isWal) events.push({line, kind: 'walWrite', text});
    else if ((call === 'write' || call === 'writev' || call === 'sendmsg' || call === 'sendto') && path === undefined && text.includes('HTTP/1.1 ')) {
      events.push({line, kind: 'socketWrite', text});
    }
  });
  return events;
}

export function audit(events: TraceEvent[], acks: readonly Ack[]): Violation[] {
  const violations: Violation[] = [];
  for (const ack of acks) {
    const r = events.findIndex((e) => e.kind === 'socketWrite' && e.text.includes(ack.response));
    if (r === -1) {
      violations.push({ack, problem: 'no response found'});
      continue;
    }
    let w = -1;
    for (let i = r - 1; i >= 0; i--) {
      if (events[i]!.kind === 'walWrite' && events[i]!.text.includes(ack.marker)) {
        w = i;
        break;
      }
    }
    if (w === -1) {
      violations.push({ack, problem: 'not written to the WAL before the response'});
      continue;
    }
    if (!events.slice(w + 1, r).some((e) => e.kind === 'walSync')) violations.push({ack, problem: 'WAL not fsynced between its write and the response'});
  }
  return violations;
}
