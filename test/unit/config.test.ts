import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {parseBytes, parseDuration} from '../../src/cli/duration.js';
import {BROKER_DEFAULTS, envName, resolveBrokerConfig} from '../../src/config/index.js';

describe('broker config - one schema, defaults < file < env < flags', () => {
  it('derives environment names from setting names', () => {
    expect(envName('dataDir')).toBe('MQ_DATA_DIR');
    expect(envName('messageBytesMax')).toBe('MQ_MESSAGE_BYTES_MAX');
  });

  it('applies the precedence and coerces environment strings', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mq-cfg-')), 'mq.json');
    fs.writeFileSync(file, JSON.stringify({listen: '127.0.0.1:1111', dataDir: '/from/file', autoCreateTopics: false}));
    const cfg = resolveBrokerConfig({configFile: file, env: {MQ_LISTEN: '127.0.0.1:2222', MQ_AUTO_CREATE_TOPICS: 'true', MQ_MESSAGE_BYTES_MAX: '2048'}, flags: {listen: '127.0.0.1:3333'}});
    expect(cfg.listen).toBe('127.0.0.1:3333');
    expect(cfg.dataDir).toBe('/from/file');
    expect(cfg.autoCreateTopics).toBe(true);
    expect(cfg.messageBytesMax).toBe(2048);
    expect(cfg.synchronous).toBeUndefined();
    expect(cfg.dedupWindowMs).toBe(BROKER_DEFAULTS.dedupWindowMs);
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it('rejects invalid settings naming the setting and its variable', () => {
    expect(() => resolveBrokerConfig({env: {MQ_MESSAGE_BYTES_MAX: 'lots'}})).toThrow(/messageBytesMax \(MQ_MESSAGE_BYTES_MAX\)/);
    expect(() => resolveBrokerConfig({flags: {listen: 'nope'}})).toThrow(/listen/);
    expect(() => resolveBrokerConfig({flags: {bogus: 1} as never})).toThrow(/INVALID|bogus|Unrecognized/i);
  });
});

describe('CLI durations and sizes', () => {
  it('parses durations', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('250')).toBe(250);
    expect(() => parseDuration('soon')).toThrow(/invalid duration/);
  });

  it('parses sizes', () => {
    expect(parseBytes('1KiB')).toBe(1024);
    expect(parseBytes('10MB')).toBe(10_000_000);
    expect(parseBytes('2 GiB')).toBe(2 * 1024 ** 3);
    expect(() => parseBytes('big')).toThrow(/invalid size/);
  });
});
