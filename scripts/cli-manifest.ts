import fs from 'node:fs';
import path from 'node:path';
import {Plugin, type Interfaces} from '@oclif/core';
import {COMMANDS} from '../commands/index.js';

/**
 * The oclif manifest (every command's id, summary, description, args, flags and examples) computed from the command
 * classes in commands/index.ts, in memory: no build, no oclif.manifest.json. docs/cli.md, the shell completions and
 * the single executable's built-in manifest are all rendered from it.
 */
export async function cliManifest(root: string): Promise<Interfaces.Manifest> {
  const pjson = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const plugin = new Plugin({root, pjson, isRoot: true, type: 'core', ignoreManifest: true, errorOnManifestCreate: true});
  // hand oclif the command map directly instead of letting it import oclif.commands.target (dist/) from disk
  (plugin as unknown as {commandCache: unknown}).commandCache = COMMANDS;
  await plugin.load();
  return JSON.parse(JSON.stringify(plugin.manifest)) as Interfaces.Manifest;
}

/**
 * The topics (`broker`, `topic`, ...): every command id prefix, with its description from package.json's oclif.topics
 * when it has one (oclif lists undeclared topics too, without a description). Sorted by name.
 */
export function cliTopics(root: string, manifest: Interfaces.Manifest): Array<{name: string; description: string}> {
  const pjson = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {oclif?: {topics?: Record<string, {description?: string}>}};
  const names = new Set<string>();
  for (const id of Object.keys(manifest.commands)) {
    const parts = id.split(':');
    for (let i = 1; i < parts.length; i++) names.add(parts.slice(0, i).join(':'));
  }
  return [...names].sort().map((name) => ({name, description: pjson.oclif?.topics?.[name]?.description ?? ''}));
}
