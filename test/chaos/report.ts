import fs from 'node:fs';
import type {MatrixRow} from './matrix.js';
import type {RunResult} from './result.js';

/**
 * Writes matrix results into docs/reliability.md as they finish: the table between the `matrix:begin` and
 * `matrix:end` markers holds one line per row, keyed by the row id in its first cell, replaced when the row is
 * run again. `--resume` skips rows whose line is already there.
 */
const BEGIN = '<!-- matrix:begin -->';
const END = '<!-- matrix:end -->';
export const HEADER = [
  '| row | fault and workload | verdict | acked | lost | dups | inconsistent offsets | skips | stuck | leader changes | failover max / median (ms) | max RSS (MB) | loop p99 (ms) | anomalies | command |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
];

export function verdict(r: RunResult): string {
  if (r.expect === 'fail') return r.anomalous ? 'control fails, as it must' : '**CONTROL DID NOT FAIL**';
  return r.anomalous ? '**FAIL**' : 'pass';
}

export function rowLine(row: MatrixRow, r: RunResult): string {
  const c = r.counts;
  const fo = r.figures.failoverMsMax === null ? '-' : `${r.figures.failoverMsMax} / ${r.figures.failoverMsMedian}`;
  const anomalies = Object.entries(r.anomalies).map(([k, n]) => `${k}: ${n}`).join('; ') || 'none';
  const cells = [row.id, row.title, verdict(r), c.acknowledged, c.lost, c.duplicates, c.inconsistentOffsets, c.skips, c.stuck, r.figures.leaderChanges, fo, r.figures.maxRssMb, r.figures.loopP99Ms, anomalies, `\`${r.command}\``];
  return `| ${cells.map((x) => String(x).replace(/\|/g, '\\|')).join(' | ')} |`;
}

function table(doc: string): {before: string; lines: string[]; after: string} {
  const b = doc.indexOf(BEGIN);
  const e = doc.indexOf(END);
  if (b === -1 || e === -1) return {before: `${doc.trimEnd()}\n\n${BEGIN}\n`, lines: [], after: `${END}\n`};
  const body = doc.slice(b + BEGIN.length, e).split('\n').filter((l) => l.startsWith('| ') && !HEADER.includes(l));
  return {before: doc.slice(0, b + BEGIN.length) + '\n', lines: body, after: doc.slice(e)};
}

export function doneRows(docPath: string): Set<string> {
  if (!fs.existsSync(docPath)) return new Set();
  return new Set(table(fs.readFileSync(docPath, 'utf8')).lines.map((l) => l.split('|')[1]!.trim()));
}

/** Puts (or replaces) one row's line in the table, keeping the matrix order. */
export function writeRow(docPath: string, order: readonly string[], line: string): void {
  const doc = fs.existsSync(docPath) ? fs.readFileSync(docPath, 'utf8') : '# Reliability\n';
  const t = table(doc);
  const id = line.split('|')[1]!.trim();
  const lines = [...t.lines.filter((l) => l.split('|')[1]!.trim() !== id), line];
  lines.sort((a, b) => order.indexOf(a.split('|')[1]!.trim()) - order.indexOf(b.split('|')[1]!.trim()));
  fs.writeFileSync(docPath, `${t.before}${[...HEADER, ...lines].join('\n')}\n${t.after}`);
}

/** A short text summary of a run for the terminal. */
export function describeResult(r: RunResult): string {
  const lines = [
    `${r.name} (seed ${r.seed}): ${verdict(r)}`,
    `  counts: ${JSON.stringify(r.counts)}`,
    `  figures: leader changes ${r.figures.leaderChanges}, faults ${r.figures.faults}, failover max ${r.figures.failoverMsMax ?? '-'} ms, max RSS ${r.figures.maxRssMb} MB, loop p99 ${r.figures.loopP99Ms} ms, converged ${r.figures.converged}, unknown appends ${r.figures.unknownAppends}, ${r.figures.wallMs} ms`,
  ];
  if (r.figures.skippedFaults.length > 0) lines.push(`  skipped faults: ${r.figures.skippedFaults.join('; ')}`);
  if (r.figures.damage.length > 0) lines.push(`  damage: ${r.figures.damage.join('; ')}`);
  for (const [k, n] of Object.entries(r.anomalies)) lines.push(`  ANOMALY ${k}: ${n}  e.g. ${JSON.stringify(r.examples[k]).slice(0, 400)}`);
  lines.push(`  replay: ${r.command}`);
  return lines.join('\n');
}
