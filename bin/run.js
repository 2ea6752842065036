#!/usr/bin/env node
import {Config, execute} from '@oclif/core';

if (process.argv[2] === '--version') {
  // oclif's version line, plus the data format and peer protocol versions (what decides whether brokers can mix)
  const [{versionLine}, config] = await Promise.all([import('../dist/src/cli/version-line.js'), Config.load(import.meta.url)]);
  process.stdout.write(`${versionLine(config.userAgent)}\n`);
} else {
  await execute({dir: import.meta.url});
}
