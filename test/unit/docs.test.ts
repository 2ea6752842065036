import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';
import {brokerConfigSchema, envName} from '../../src/config/index.js';
import {ERROR_SPECS} from '../../src/errors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (f: string): string => fs.readFileSync(path.join(ROOT, f), 'utf8');

describe('docs stay true', () => {
  it('docs/api.md lists every error code with its status', () => {
    const api = read('docs/api.md');
    for (const [code, spec] of Object.entries(ERROR_SPECS)) expect(api, code).toContain(`| \`${code}\` | ${spec.status} |`);
  });

  it('docs/operations.md lists every broker setting and its environment variable', () => {
    const ops = read('docs/operations.md');
    for (const key of Object.keys(brokerConfigSchema.shape)) {
      expect(ops, key).toContain(`\`${key}\``);
      expect(ops, key).toContain(`\`${envName(key)}\``);
    }
  });
});
