import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {Plugin} from '@oclif/core';
import {describe, expect, it} from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('oclif.manifest.json', () => {
  it('is fresh: it matches the commands as built (run `npm run manifest` after changing a command)', async () => {
    const plugin = new Plugin({root: ROOT, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, isRoot: true});
    await plugin.load();
    const committed = JSON.parse(fs.readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(plugin.manifest)));
  });
});
