import path from 'node:path';
import {UsageError} from './usage-error.js';
import {CONTEXT_FILE, ContextStore, readDirContext, unknownContext, type Context} from './context-store.js';

export const DEFAULT_URL = 'http://127.0.0.1:7070';

export interface Connection {
  /** What clients talk to. */
  url: string;
  /** Every node of the target, for dashboards: [url] unless a context lists more. */
  urls: string[];
  token: string | undefined;
  ca: string | undefined;
  /** The data directory of a cluster `mq up` runs, when the URL came from its context. */
  dataDir: string | undefined;
  /** Where the URL came from, for `mq context show` and error hints. */
  source: string;
}

export interface ResolveInput {
  /** Only what the user typed: a flag's environment variable or default must not be passed here. */
  flags: {url?: string | string[]; token?: string; ca?: string; context?: string};
  env: NodeJS.ProcessEnv;
  cwd: string;
}

interface Layer {
  source: string;
  url?: string;
  urls?: string[];
  token?: string;
  ca?: string;
  dataDir?: string;
}

const fromContext = (source: string, c: Context | undefined): Layer =>
  c ? {source, url: c.url, urls: c.urls, token: c.token, ca: c.ca, dataDir: c.data_dir} : {source};

/**
 * DESIGN §7's precedence for the URL: `--url`, then `--context NAME`, then MQ_URL, then MQ_CONTEXT, then the
 * directory context (`.mq-context.json`, written by `mq up`), then the selected context (`mq context use`), then the
 * config file (`config.json` in the config directory), then the default.
 *
 * The token and CA are credentials for one target, so they never cross to another: `--token`, else MQ_TOKEN, else
 * the token of the layer that gave the URL (the config file's for the default URL); the CA likewise (`--ca`, else
 * MQ_CA, else the URL layer's). A context's `urls` (every
 * node, for dashboards) and `data_dir` follow its `url` the same way.
 */
export function resolveConnection(input: ResolveInput): Connection {
  const {flags, env, cwd} = input;
  const store = ContextStore.fromEnv(env);
  const file = store.read();
  const named = (name: string, how: string): Context => {
    if (!Object.hasOwn(file.contexts, name)) throw new UsageError(`${how}: ${unknownContext(name, Object.keys(file.contexts))}`);
    return file.contexts[name]!;
  };
  const flagUrls = (flags.url === undefined ? [] : Array.isArray(flags.url) ? flags.url : [flags.url]).filter((u) => u !== '');
  const cfg = store.cliConfig();
  const layers: Layer[] = [
    {source: 'the --url flag', url: flagUrls[0], urls: flagUrls.length ? flagUrls : undefined},
    flags.context ? fromContext(`context ${flags.context} (--context)`, named(flags.context, '--context')) : {source: '--context'},
    {source: 'MQ_URL', url: env.MQ_URL || undefined},
    env.MQ_CONTEXT ? fromContext(`context ${env.MQ_CONTEXT} (MQ_CONTEXT)`, named(env.MQ_CONTEXT, 'MQ_CONTEXT')) : {source: 'MQ_CONTEXT'},
    fromContext(path.join(cwd, CONTEXT_FILE), readDirContext(cwd)),
    file.current && Object.hasOwn(file.contexts, file.current) ? fromContext(`context ${file.current} (selected)`, file.contexts[file.current]) : {source: 'no selected context'},
  ];
  const config: Layer = {source: store.configFile, url: cfg.url, token: cfg.token, ca: cfg.ca};
  // the default URL takes its credentials from the config file, like a URL set there
  const urlLayer = layers.find((l) => l.url !== undefined) ?? config;
  const url = urlLayer.url ?? DEFAULT_URL;
  return {
    url,
    urls: urlLayer.urls?.length ? urlLayer.urls : [url],
    token: flags.token || env.MQ_TOKEN || urlLayer.token,
    ca: flags.ca || env.MQ_CA || urlLayer.ca,
    dataDir: urlLayer.dataDir,
    source: urlLayer.url === undefined ? 'the default' : urlLayer.source,
  };
}
