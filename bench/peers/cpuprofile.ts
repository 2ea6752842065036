/** V8 .cpuprofile summaries: self time per function and per area of the code. */
interface ProfileNode {
  id: number;
  callFrame: {functionName: string; url: string; lineNumber: number};
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Which part of the system a frame belongs to (by its file). */
export function areaOf(url: string, fn: string): string {
  if (fn === '(idle)') return 'idle';
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(program)') return 'program (native, outside JS)';
  if (/better-sqlite3|sqlite-store|storage\//.test(url)) return 'SQLite / storage';
  if (/fastify|light-my-request|find-my-way|avvio|pino/.test(url)) return 'fastify';
  if (/undici/.test(url)) return 'undici';
  if (/^node:(_http|http|net|stream|internal\/streams|_stream)|node:internal\/(http|net|stream|streams)/.test(url)) return 'node http/net/streams';
  if (/cluster\/raft\//.test(url)) return 'Raft core';
  if (/cluster\//.test(url)) return 'Raft host / transport / codec';
  if (/protocol\//.test(url)) return 'produce parsing';
  if (/server\//.test(url)) return 'routes / wire format';
  if (/broker\//.test(url)) return 'broker (partitions, queues, groups)';
  if (fn === 'parse' || fn === 'stringify') return 'JSON';
  if (url === '') return `native: ${fn || '(anonymous)'}`;
  return 'other JS';
}

export function summarise(p: CpuProfile, top: number): string {
  const totalUs = p.endTime - p.startTime;
  const selfUs = new Map<number, number>();
  if (p.samples && p.timeDeltas) {
    for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i + 1] ?? 0));
  }
  const byFn = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const n of p.nodes) {
    const us = selfUs.get(n.id) ?? 0;
    const f = n.callFrame;
    const file = f.url.replace(/^.*\/(node_modules\/)?/, '');
    const key = `${f.functionName || '(anonymous)'}  ${file}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
    const area = areaOf(f.url, f.functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
  }
  const pct = (us: number): string => `${((us / totalUs) * 100).toFixed(1).padStart(5)} %`;
  const lines = [`profile of ${(totalUs / 1e6).toFixed(1)} s; self time by area:`];
  for (const [k, us] of [...byArea].sort((x, y) => y[1] - x[1])) lines.push(`  ${pct(us)}  ${k}`);
  lines.push(`top ${top} functions by self time:`);
  for (const [k, us] of [...byFn].sort((x, y) => y[1] - x[1]).slice(0, top)) lines.push(`  ${pct(us)}  ${k}`);
  return lines.join('\n');
}
