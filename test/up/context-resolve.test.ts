import fs from 'node:fs';
import path from 'node:path';
import {beforeEach, describe, expect, it} from 'vitest';
import {DEFAULT_URL, resolveConnection} from '../../src/cli/context-resolve.js';
import {CONTEXT_FILE, ContextStore, configDir, removeDirContext, writeDirContext} from '../../src/cli/context-store.js';
import {tempDir} from '../helpers/broker.js';

/** Every layer of DESIGN §7 set at once, each with a URL of its own; each test removes layers from the top. */
let root: string;
let cwd: string;
let env: NodeJS.ProcessEnv;
let store: ContextStore;

const url = (name: string) => `http://${name}.test:7070`;

beforeEach(() => {
  root = tempDir('mq-ctx-');
  cwd = path.join(root, 'project');
  fs.mkdirSync(cwd);
  env = {MQ_CONFIG_DIR: path.join(root, 'config')};
  store = ContextStore.fromEnv(env);
});

function allLayers(): void {
  fs.mkdirSync(store.dir, {recursive: true});
  fs.writeFileSync(store.configFile, JSON.stringify({url: url('config'), token: 'config-token'}));
  store.put('selected', {url: url('selected'), token: 'selected-token'}, {use: true});
  store.put('by-env', {url: url('by-env'), token: 'env-ctx-token', urls: [url('by-env'), url('by-env-2')]});
  store.put('by-flag', {url: url('by-flag'), token: 'flag-ctx-token', data_dir: '/data/by-flag'});
  writeDirContext(cwd, {name: 'dir', url: url('dir'), token: 'dir-token', data_dir: '/data/dir'});
  env.MQ_CONTEXT = 'by-env';
  env.MQ_URL = url('env');
}

describe('contexts - precedence (DESIGN §7)', () => {
  it('uses the default URL when nothing is configured', () => {
    expect(resolveConnection({flags: {}, env, cwd})).toMatchObject({url: DEFAULT_URL, urls: [DEFAULT_URL], token: undefined, source: 'the default'});
  });

  it('goes --url > --context > MQ_URL > MQ_CONTEXT > directory context > selected context > config file', () => {
    allLayers();
    const seen: string[] = [];
    seen.push(resolveConnection({flags: {url: url('flag'), context: 'by-flag'}, env, cwd}).url);
    seen.push(resolveConnection({flags: {context: 'by-flag'}, env, cwd}).url);
    seen.push(resolveConnection({flags: {}, env, cwd}).url);
    delete env.MQ_URL;
    seen.push(resolveConnection({flags: {}, env, cwd}).url);
    delete env.MQ_CONTEXT;
    seen.push(resolveConnection({flags: {}, env, cwd}).url);
    fs.rmSync(path.join(cwd, CONTEXT_FILE));
    seen.push(resolveConnection({flags: {}, env, cwd}).url);
    store.remove('selected');
    seen.push(resolveConnection({flags: {}, env, cwd}).url);
    fs.rmSync(store.configFile);
    seen.push(resolveConnection({flags: {}, env, cwd}).url);
    expect(seen).toEqual([url('flag'), url('by-flag'), url('env'), url('by-env'), url('dir'), url('selected'), url('config'), DEFAULT_URL]);
  });

  it('takes the token, CA, node list and data directory from the layer that gave the URL, never from another', () => {
    allLayers();
    // --url to somewhere else: the contexts' tokens must not be sent there
    expect(resolveConnection({flags: {url: url('flag')}, env: {...env, MQ_TOKEN: undefined}, cwd})).toMatchObject({token: undefined, dataDir: undefined});
    expect(resolveConnection({flags: {context: 'by-flag'}, env, cwd})).toMatchObject({token: 'flag-ctx-token', dataDir: '/data/by-flag', urls: [url('by-flag')]});
    delete env.MQ_URL;
    expect(resolveConnection({flags: {}, env, cwd})).toMatchObject({token: 'env-ctx-token', urls: [url('by-env'), url('by-env-2')]});
    delete env.MQ_CONTEXT;
    expect(resolveConnection({flags: {}, env, cwd})).toMatchObject({token: 'dir-token', dataDir: '/data/dir', source: path.join(cwd, CONTEXT_FILE)});
    fs.rmSync(path.join(cwd, CONTEXT_FILE));
    fs.rmSync(path.join(store.dir, 'contexts.json'));
    expect(resolveConnection({flags: {}, env, cwd})).toMatchObject({url: url('config'), token: 'config-token'});
  });

  it('lets --token, then MQ_TOKEN, override the context token', () => {
    allLayers();
    env.MQ_TOKEN = 'env-token';
    expect(resolveConnection({flags: {context: 'by-flag', token: 'flag-token'}, env, cwd}).token).toBe('flag-token');
    expect(resolveConnection({flags: {context: 'by-flag'}, env, cwd}).token).toBe('env-token');
  });

  it('names the known contexts when --context or MQ_CONTEXT names an unknown one (a usage error)', () => {
    allLayers();
    expect(() => resolveConnection({flags: {context: 'nope'}, env, cwd})).toThrow(/--context: no context named "nope" \(known: selected, by-env, by-flag\)/);
    expect(() => resolveConnection({flags: {}, env: {...env, MQ_CONTEXT: 'gone'}, cwd})).toThrow(expect.objectContaining({name: 'UsageError'}));
  });

  it('rejects a broken directory context file with its path', () => {
    fs.writeFileSync(path.join(cwd, CONTEXT_FILE), '{"url": 5}');
    expect(() => resolveConnection({flags: {}, env, cwd})).toThrow(new RegExp(`${CONTEXT_FILE}: url`));
  });
});

describe('contexts - the store', () => {
  it('lives in MQ_CONFIG_DIR, else $XDG_CONFIG_HOME/mq, else ~/.config/mq', () => {
    expect(configDir({MQ_CONFIG_DIR: '/a/b'})).toBe('/a/b');
    expect(configDir({XDG_CONFIG_HOME: '/x'})).toBe('/x/mq');
    expect(configDir({})).toMatch(/\.config\/mq$/);
  });

  it('adds, selects, replaces and removes contexts; the file is private (it may hold tokens)', () => {
    store.put('a', {url: 'http://a:1/'}, {use: true});
    store.put('b', {url: 'http://b:1', token: 't'});
    expect(store.read()).toEqual({current: 'a', contexts: {a: {url: 'http://a:1'}, b: {url: 'http://b:1', token: 't'}}});
    expect(fs.statSync(store.file).mode & 0o777).toBe(0o600);
    store.use('b');
    expect(store.remove('b')).toBe(true);
    expect(store.read()).toEqual({current: null, contexts: {a: {url: 'http://a:1'}}});
    expect(store.remove('b')).toBe(false);
    expect(() => store.use('zz')).toThrow(/no context named "zz" \(known: a\)/);
    expect(() => store.put('bad name', {url: 'http://a:1'})).toThrow(/context names are/);
    expect(() => store.put('x', {url: 'ftp://a'})).toThrow();
  });

  it('removes the directory context only when it names the given data directory', () => {
    writeDirContext(cwd, {url: 'http://a:1', data_dir: '/data/one'});
    expect(removeDirContext(cwd, '/data/two')).toBe(false);
    expect(removeDirContext(cwd, '/data/one')).toBe(true);
    expect(fs.existsSync(path.join(cwd, CONTEXT_FILE))).toBe(false);
  });
});
