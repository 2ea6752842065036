import {ContextStore, readDirContext, CONTEXT_FILE, type Context} from './context-store.js';
import type {Connection} from './context-resolve.js';
import {table} from './output.js';
import path from 'node:path';

/** What `mq context list` shows: tokens are never printed, only whether one is set. */
export interface ContextListing {
  current: string | null;
  contexts: Array<{name: string; url: string; urls: string[]; token: boolean; ca: string | null; data_dir: string | null; current: boolean}>;
  directory: {file: string; url: string; name: string | null; data_dir: string | null} | null;
  active: {url: string; source: string};
}

const row = (name: string, c: Context, current: boolean): ContextListing['contexts'][number] => ({
  name,
  url: c.url,
  urls: c.urls ?? [c.url],
  token: c.token !== undefined,
  ca: c.ca ?? null,
  data_dir: c.data_dir ?? null,
  current,
});

export function listContexts(store: ContextStore, cwd: string, active: Connection): ContextListing {
  const f = store.read();
  const dir = readDirContext(cwd);
  return {
    current: f.current,
    contexts: Object.entries(f.contexts).map(([name, c]) => row(name, c, name === f.current)),
    directory: dir ? {file: path.join(cwd, CONTEXT_FILE), url: dir.url, name: dir.name ?? null, data_dir: dir.data_dir ?? null} : null,
    active: {url: active.url, source: active.source},
  };
}

export function contextListText(l: ContextListing): string {
  const out: string[] = [];
  if (l.contexts.length === 0) out.push('no named contexts (add one: mq context add NAME --url URL)');
  else out.push(table([['', 'NAME', 'URL', 'NODES', 'TOKEN', 'CA'], ...l.contexts.map((x) => [x.current ? '*' : '', x.name, x.url, x.urls.length, x.token ? 'set' : '-', x.ca ?? '-'])]));
  if (l.directory) out.push('', `directory context ${l.directory.file}: ${l.directory.url}${l.directory.data_dir ? ` (mq up in ${l.directory.data_dir})` : ''}`);
  out.push('', `commands here use ${l.active.url} (from ${l.active.source})`);
  return out.join('\n');
}
