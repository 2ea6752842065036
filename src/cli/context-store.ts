import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {z} from 'zod';
import {MqError} from '../errors.js';
import {UsageError} from './usage-error.js';

/**
 * Where `mq` keeps what the user told it: named contexts (a URL, a token, a CA) and CLI defaults, in the user's
 * config directory; and the directory context, a file `mq up` writes in the directory it ran in.
 */

export const CONTEXT_FILE = '.mq-context.json';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const urlSchema = z.url({protocol: /^https?$/}).transform((u) => u.replace(/\/+$/, ''));

export const contextSchema = z.strictObject({
  /** What clients talk to (the lb, or one broker). */
  url: urlSchema,
  /** Every node, for dashboards (`mq status`, `mq top`); defaults to [url]. */
  urls: z.array(urlSchema).optional(),
  token: z.string().min(1).optional(),
  /** A CA bundle for TLS (kept for when brokers speak TLS). */
  ca: z.string().min(1).optional(),
  /** A cluster `mq up` runs on this machine: its data directory (where `mq status` finds the supervisor's state). */
  data_dir: z.string().min(1).optional(),
});
export type Context = z.infer<typeof contextSchema>;

const contextsFileSchema = z.strictObject({
  current: z.string().nullable(),
  contexts: z.record(z.string(), contextSchema),
});
type ContextsFile = z.infer<typeof contextsFileSchema>;

/** The directory context: a context plus the name `mq up` also saved it under. */
export const dirContextSchema = contextSchema.extend({name: z.string().optional()});
export type DirContext = z.infer<typeof dirContextSchema>;

/** CLI defaults (the lowest layer above the built-in ones). */
export const cliConfigSchema = z.strictObject({url: urlSchema.optional(), token: z.string().min(1).optional(), ca: z.string().min(1).optional()});
export type CliConfig = z.infer<typeof cliConfigSchema>;

/** `MQ_CONFIG_DIR`, else `$XDG_CONFIG_HOME/mq`, else `~/.config/mq`. */
export function configDir(env: NodeJS.ProcessEnv): string {
  if (env.MQ_CONFIG_DIR) return path.resolve(env.MQ_CONFIG_DIR);
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(os.homedir(), '.config');
  return path.join(base, 'mq');
}

function readJson<T>(file: string, schema: z.ZodType<T>, what: string): T | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MqError('INVALID_CONFIG', `cannot read ${what} ${file}: ${(error as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new MqError('INVALID_CONFIG', `${what} ${file} is not valid JSON: ${(error as Error).message}`);
  }
  const r = schema.safeParse(doc);
  if (!r.success) throw new MqError('INVALID_CONFIG', `${what} ${file}: ${r.error.issues.map((i) => `${i.path.join('.') || 'document'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** Written to a temp file and renamed: a crash never leaves half a file; mode 0600 (contexts may hold tokens). */
function writeJson(file: string, doc: unknown): void {
  fs.mkdirSync(path.dirname(file), {recursive: true, mode: 0o700});
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(doc, null, 2) + '\n', {mode: 0o600});
  fs.renameSync(tmp, file);
}

export function unknownContext(name: string, known: string[]): string {
  return `no context named ${JSON.stringify(name)} (${known.length ? `known: ${known.join(', ')}` : 'none yet: mq context add NAME --url URL'})`;
}

export function checkContextName(name: string): string {
  if (!NAME.test(name)) throw new UsageError( `context names are letters, digits, '.', '_' and '-' (at most 64), got ${JSON.stringify(name)}`);
  return name;
}

/** The named contexts in the user's config directory. */
export class ContextStore {
  readonly file: string;
  readonly configFile: string;

  constructor(readonly dir: string) {
    this.file = path.join(dir, 'contexts.json');
    this.configFile = path.join(dir, 'config.json');
  }

  static fromEnv(env: NodeJS.ProcessEnv): ContextStore {
    return new ContextStore(configDir(env));
  }

  read(): ContextsFile {
    return readJson(this.file, contextsFileSchema, 'contexts file') ?? {current: null, contexts: {}};
  }

  get(name: string): Context | undefined {
    const {contexts} = this.read();
    return Object.hasOwn(contexts, name) ? contexts[name] : undefined;
  }

  /** Adds or replaces a context. */
  put(name: string, ctx: Context, opts: {use?: boolean} = {}): void {
    const f = this.read();
    f.contexts[checkContextName(name)] = contextSchema.parse(ctx);
    if (opts.use) f.current = name;
    writeJson(this.file, f);
  }

  use(name: string): void {
    const f = this.read();
    if (!Object.hasOwn(f.contexts, name)) throw new UsageError(unknownContext(name, Object.keys(f.contexts)));
    f.current = name;
    writeJson(this.file, f);
  }

  /** Removes a context (and unselects it); false if there was none. */
  remove(name: string): boolean {
    const f = this.read();
    if (!Object.hasOwn(f.contexts, name)) return false;
    delete f.contexts[name];
    if (f.current === name) f.current = null;
    writeJson(this.file, f);
    return true;
  }

  cliConfig(): CliConfig {
    return readJson(this.configFile, cliConfigSchema, 'config file') ?? {};
  }
}

export function readDirContext(dir: string): DirContext | undefined {
  return readJson(path.join(dir, CONTEXT_FILE), dirContextSchema, 'directory context');
}

export function writeDirContext(dir: string, ctx: DirContext): string {
  const file = path.join(dir, CONTEXT_FILE);
  writeJson(file, dirContextSchema.parse(ctx));
  return file;
}

/** Removes the directory context if it names this data directory (`mq down --purge`); true if it did. */
export function removeDirContext(dir: string, dataDir: string): boolean {
  const ctx = readDirContext(dir);
  if (!ctx || !ctx.data_dir || path.resolve(ctx.data_dir) !== path.resolve(dataDir)) return false;
  fs.rmSync(path.join(dir, CONTEXT_FILE), {force: true});
  return true;
}
