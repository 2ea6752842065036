import fs from 'node:fs';

/**
 * Where mq is, as the mq CLI would find it here: MQ_URL, else the .mq-context.json that `mq up` writes in the directory
 * it ran in (its lb, or broker 1), else a local broker on the default port.
 */
export function defaultUrl(): string {
  if (process.env.MQ_URL) return process.env.MQ_URL;
  try {
    return (JSON.parse(fs.readFileSync('.mq-context.json', 'utf8')) as {url: string}).url;
  } catch {
    return 'http://127.0.0.1:7070';
  }
}

/** Flags every script takes: --url (default above) and --db, the example's SQLite file. */
export const commonFlags = {
  url: {type: 'string', default: defaultUrl()},
  db: {type: 'string', default: 'flash-sale.db'},
} as const;
