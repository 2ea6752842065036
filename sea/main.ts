/**
 * Entry point of the single executable (`dist/mq`). sea/build.mjs bundles this file, every command and every
 * dependency into ES module chunks that are stored in the executable as assets; sea/stub.cjs (the executable's main)
 * writes them to a cache directory once and imports this one.
 *
 * bin/run.js lets oclif read oclif.manifest.json and import the commands from dist/ on disk. Inside the executable
 * there is no such layout, so the manifest (computed at build time from commands/index.ts) and the command map are
 * bundled here and handed to oclif directly.
 */
import path from 'node:path';
import {Config, Plugin, flush, handle, run, type Interfaces} from '@oclif/core';
import manifest from 'mq:manifest';
import pjson from '../package.json' with {type: 'json'};
import {versionLine} from '../src/cli/version-line.js';

// Two non-public @oclif/core 4.x methods (package.json pins ~4.14; test/e2e/binary.test.ts runs every command on the
// binary). There is exactly one plugin in this process, mq itself.
const proto = Plugin.prototype as unknown as {
  _manifest(this: {commandIDs: string[]; hasManifest: boolean}): Promise<Interfaces.Manifest>;
  loadCommandsFromTarget(this: {commandCache?: unknown}): Promise<unknown>;
};
// --version and --help need only the manifest: the commands (and the HTTP client behind them) load when one runs
proto._manifest = async function () {
  this.commandIDs = Object.keys(manifest.commands);
  this.hasManifest = true;
  return manifest;
};
// the explicit strategy would import `<root>/dist/commands/index.js` from disk: use the bundled command map instead
proto.loadCommandsFromTarget = async function () {
  this.commandCache ??= (await import('../commands/index.js')).COMMANDS;
  return this.commandCache;
};

try {
  const root = path.dirname(process.execPath);
  // Building the root plugin here means oclif reads no package.json, and loads no user, dev or core plugins.
  const plugin = new Plugin({root, pjson: pjson as never, isRoot: true, type: 'core'});
  await plugin.load();
  const config = await Config.load({root, pjson: pjson as never, plugins: new Map([[plugin.name, plugin]])});
  // as bin/run.js: oclif's version line plus the data format and peer protocol versions
  if (process.argv[2] === '--version') process.stdout.write(`${versionLine(config.userAgent)}\n`);
  else await run(process.argv.slice(2), config);
  await flush();
} catch (error) {
  await handle(error as Error);
}
