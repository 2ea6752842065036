#!/usr/bin/env node
// Builds the single executable dist/mq (Linux x64) with Node's single executable applications (SEA):
//
//   1. scripts/cli-manifest.ts computes oclif's manifest from commands/index.ts;
//   2. esbuild bundles sea/main.ts (the CLI: every command and dependency, plus that manifest) into ES module chunks;
//   3. `node --experimental-sea-config` makes a blob whose main is sea/stub.cjs, with the chunks and better-sqlite3's
//      native addon as assets (at run time the stub unpacks the chunks and src/storage/native.ts the addon to a cache
//      directory, once per build);
//   4. a copy of this node binary is stripped and the blob injected into it with postject.
//
// Usage: npm run build:binary [-- --out dist/mq] [-- --keep]   (--keep leaves the intermediate files in dist/sea/)
// Needs: the node that runs this script (the executable embeds it), `strip` (binutils; optional, saves ~13 MB), and
// the dev dependencies esbuild and postject. Takes about 5 s.
import {execFileSync} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {createRequire} from 'node:module';
import {fileURLToPath, pathToFileURL} from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const SENTINEL = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

function die(message) {
  console.error(`build:binary: ${message}`);
  process.exit(1);
}

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : process.argv[i + 1];
}

const out = path.resolve(ROOT, arg('--out', 'dist/mq'));
const keep = process.argv.includes('--keep');
const t0 = Date.now();
const step = (what) => console.log(`build:binary: ${what} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);

if (process.platform !== 'linux' || process.arch !== 'x64') die(`only Linux x64 is supported, not ${process.platform}-${process.arch}`);
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) die(`needs Node >= 20.19 (this is ${process.version})`);

let esbuild;
let postjectInject;
try {
  esbuild = await import('esbuild');
  ({inject: postjectInject} = require('postject'));
} catch (error) {
  die(`the dev dependencies esbuild and postject are missing (run npm ci): ${error.message}`);
}

const addon = path.join(path.dirname(require.resolve('better-sqlite3/package.json')), 'build/Release/better_sqlite3.node');
if (!fs.existsSync(addon)) die(`${addon} is missing: better-sqlite3 did not build (npm ci compiles it; needs python3, make, g++)`);
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

// intermediate files: private to this build (two builds may run at once), kept in dist/sea/ with --keep
fs.mkdirSync(path.join(ROOT, 'dist'), {recursive: true});
const work = fs.mkdtempSync(path.join(ROOT, 'dist', '.sea-build-'));
const cleanup = [work];
process.on('exit', () => {
  for (const p of cleanup) if (!(keep && p === work)) fs.rmSync(p, {recursive: true, force: true});
});

// 1. the manifest: oclif's description of every command, from commands/index.ts (scripts/cli-manifest.ts)
await esbuild.build({
  absWorkingDir: ROOT,
  entryPoints: ['scripts/cli-manifest.ts'],
  outfile: path.join(work, 'cli-manifest.mjs'),
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
});
const {cliManifest} = await import(pathToFileURL(path.join(work, 'cli-manifest.mjs')).href);
const manifest = await cliManifest(ROOT);
step(`computed the manifest of ${Object.keys(manifest.commands).length} commands`);

// 2. the bundle: ES module chunks; main.mjs is small, each command's code loads when it runs (splitting)
const plugin = {
  name: 'mq-sea',
  setup(b) {
    b.onResolve({filter: /^mq:manifest$/}, (a) => ({path: a.path, namespace: 'mq-manifest'}));
    b.onLoad({filter: /.*/, namespace: 'mq-manifest'}, () => ({contents: JSON.stringify(manifest), loader: 'json'}));
    // ink's optional devtools hook, and the TypeScript compiler @oclif/core only needs in development (9.7 MB)
    b.onResolve({filter: /^(react-devtools-core|typescript)$/}, (a) => ({path: a.path, namespace: 'stub'}));
    b.onLoad({filter: /.*/, namespace: 'stub'}, () => ({contents: 'export default {}; export const connectToDevTools = () => {};'}));
  },
};
const appDir = path.join(work, 'app');
const result = await esbuild.build({
  absWorkingDir: ROOT,
  entryPoints: {main: 'sea/main.ts'},
  outdir: appDir,
  splitting: true,
  chunkNames: 'chunk-[hash]',
  outExtension: {'.js': '.mjs'},
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  define: {
    'process.env.NODE_ENV': '"production"', // production builds of react & co.
    __MQ_VERSION__: JSON.stringify(pkg.version), // src/version.ts: no package.json to read
  },
  // bundled CommonJS dependencies call require() for Node's builtins
  banner: {js: "import {createRequire as __mqCreateRequire} from 'node:module'; const require = __mqCreateRequire(process.execPath);"},
  plugins: [plugin],
});
fs.writeFileSync(path.join(work, 'meta.json'), JSON.stringify(result.metafile));
const files = Object.keys(result.metafile.outputs).map((f) => path.relative(appDir, path.resolve(ROOT, f))).sort();
const hash = crypto.createHash('sha256');
for (const f of files) hash.update(f).update('\0').update(fs.readFileSync(path.join(appDir, f))).update('\0');
const index = {id: `${pkg.version}-${hash.digest('hex').slice(0, 16)}`, entry: 'main.mjs', files};
fs.writeFileSync(path.join(work, 'index.json'), JSON.stringify(index));
const size = (f) => fs.statSync(path.join(appDir, f)).size;
step(`bundled ${files.length} chunks, ${(files.reduce((n, f) => n + size(f), 0) / 1e6).toFixed(1)} MB (main.mjs ${(size('main.mjs') / 1e3).toFixed(0)} kB)`);

// 3. the blob: stub.cjs as main, the chunks and the SQLite addon as assets
const blob = path.join(work, 'mq.blob');
const seaConfig = path.join(work, 'sea-config.json');
const assets = {'app/index.json': path.join(work, 'index.json'), 'better_sqlite3.node': addon};
for (const f of files) assets[`app/${f}`] = path.join(appDir, f);
fs.writeFileSync(seaConfig, JSON.stringify({main: path.join(ROOT, 'sea/stub.cjs'), output: blob, disableExperimentalSEAWarning: true, assets}, null, 2));
execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], {stdio: 'pipe'});
step(`made the SEA blob, ${(fs.statSync(blob).size / 1e6).toFixed(1)} MB`);

// 4. node + blob, written next to the output and renamed over it at the end: a running dist/mq (a detached broker)
// keeps its old file
fs.mkdirSync(path.dirname(out), {recursive: true});
const exe = `${out}.${process.pid}.tmp`;
cleanup.push(exe);
fs.copyFileSync(process.execPath, exe);
fs.chmodSync(exe, 0o755);
if (!fs.readFileSync(exe).includes(SENTINEL)) die(`${process.execPath} has no SEA fuse; it cannot be made into a single executable`);
try {
  execFileSync('strip', [exe], {stdio: 'pipe'});
  step('stripped a copy of node');
} catch (error) {
  console.warn(`build:binary: warning: could not strip the binary (${error.message.split('\n')[0]}); it stays ~13 MB larger`);
}
// postject prints one harmless "Can't find string offset for section name" warning per section of a stripped binary
const warn = console.warn;
console.warn = (...a) => (/Can't find string offset/.test(String(a[0])) ? undefined : warn(...a));
try {
  await postjectInject(exe, 'NODE_SEA_BLOB', fs.readFileSync(blob), {sentinelFuse: SENTINEL});
} finally {
  console.warn = warn;
}
fs.renameSync(exe, out);
if (keep) {
  fs.rmSync(path.join(ROOT, 'dist', 'sea'), {recursive: true, force: true});
  fs.renameSync(work, path.join(ROOT, 'dist', 'sea'));
}
step(`wrote ${path.relative(process.cwd(), out) || out}, ${(fs.statSync(out).size / 2 ** 20).toFixed(1)} MiB`);
