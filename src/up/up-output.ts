import path from 'node:path';
import type {UpReady} from './run-up.js';

/** The lines `mq up` prints once ready. */
export function upText(r: UpReady, cwd: string, opts: {detached: boolean; already?: boolean}): string {
  const rel = (p: string): string => (path.relative(cwd, p).startsWith('..') ? p : `./${path.relative(cwd, p)}`);
  const head = opts.already
    ? `mq up: already running from ${rel(r.data_dir)} (supervisor pid ${r.pid})`
    : `mq up: ${r.brokers.length} broker(s)${r.lb ? ' and an lb' : ''} ${r.resumed ? 'resumed' : 'started'}, ready (data in ${rel(r.data_dir)}, supervisor pid ${r.pid})`;
  const rows = [...(r.lb ? [`  lb        ${r.lb}   <- clients`] : []), ...r.brokers.map((b) => `  broker ${b.id}  ${b.url}${!r.lb && b.id === r.brokers[0]!.id ? '   <- clients' : ''}`)];
  return [
    head,
    ...rows,
    `mq commands in this directory use it (${rel(r.context_file)}); elsewhere add --context ${r.context}`,
    `try: mq produce demo hello && mq consume demo --max 1 && mq top`,
    opts.detached || opts.already ? `stop: mq down${r.data_dir === path.resolve(cwd, 'mq-cluster') ? '' : ` --data-dir ${rel(r.data_dir)}`}` : 'Ctrl-C stops it (gracefully)',
  ].join('\n');
}
