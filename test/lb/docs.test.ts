import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';
import {lbConfigSchema, lbEnvName} from '../../src/lb/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('lb docs stay true', () => {
  it('docs/operations.md lists every lb setting with its MQ_LB_* variable', () => {
    const ops = fs.readFileSync(path.join(ROOT, 'docs/operations.md'), 'utf8');
    const section = ops.slice(ops.indexOf('## Load balancer (mq lb)'));
    for (const key of Object.keys(lbConfigSchema.shape)) expect(section, key).toMatch(new RegExp(`\\| \`${key}\` \\| \`${lbEnvName(key)}\``));
  });
});
