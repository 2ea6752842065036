import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type {Interfaces} from '@oclif/core';
import {beforeAll, describe, expect, it} from 'vitest';
import {COMMANDS} from '../../commands/index.js';
import {cliManifest} from '../../scripts/cli-manifest.js';
import {CLI_DOCS_FILE, commandLine, renderCliDocsFromSource, visibleFlags} from '../../scripts/cli-docs.js';
import {COMPLETION_FILES, renderCompletionsFromSource} from '../../scripts/completions.js';

const ROOT = path.resolve(path.dirname(CLI_DOCS_FILE), '..');
const IDS = Object.keys(COMMANDS);

let manifest: Interfaces.Manifest;
let completions: {bash: string; zsh: string};

beforeAll(async () => {
  manifest = await cliManifest(ROOT);
  completions = await renderCompletionsFromSource();
});

describe('docs/cli.md', () => {
  it('is fresh: it matches what the commands render (run `npm run docs:cli` after changing a command)', async () => {
    expect(fs.readFileSync(CLI_DOCS_FILE, 'utf8')).toBe(await renderCliDocsFromSource());
  });

  it('documents every command, each visible flag and each example', () => {
    const doc = fs.readFileSync(CLI_DOCS_FILE, 'utf8');
    expect(Object.keys(manifest.commands).sort()).toEqual([...IDS].sort());
    for (const id of IDS) {
      const cmd = manifest.commands[id]!;
      const section = doc.split(`\n## ${commandLine(id)}\n`)[1]?.split('\n## ')[0];
      expect(section, id).toBeDefined();
      for (const f of visibleFlags(cmd)) expect(section, `${id} --${f.name}`).toContain(`--${f.type === 'boolean' && f.allowNo ? '[no-]' : ''}${f.name}`);
      for (const e of cmd.examples ?? []) {
        const command = typeof e === 'string' ? e : e.command;
        expect(section, id).toContain(command.replace('<%= config.bin %>', 'mq'));
      }
    }
  });
});

describe('shell completions', () => {
  it('are fresh: completions/ matches what the commands render (run `npm run completions`)', () => {
    expect(fs.readFileSync(COMPLETION_FILES.bash, 'utf8')).toBe(completions.bash);
    expect(fs.readFileSync(COMPLETION_FILES.zsh, 'utf8')).toBe(completions.zsh);
  });

  it('mention every command id and every visible flag, in bash and in zsh', () => {
    for (const [shell, script] of Object.entries(completions)) {
      for (const id of IDS) {
        expect(script, `${shell}: ${id}`).toMatch(new RegExp(`^ {4}${id}\\)$`, 'm'));
        for (const f of visibleFlags(manifest.commands[id]!)) expect(script, `${shell}: ${id} --${f.name}`).toContain(`--${f.name}`);
      }
    }
  });

  it('complete commands, subcommands, flags and flag values in bash', () => {
    const complete = (...words: string[]): string[] => {
      const script = `source ${JSON.stringify(COMPLETION_FILES.bash)}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _mq; printf '%s\\n' "\${COMPREPLY[@]}"`;
      return execFileSync('bash', ['--norc', '--noprofile', '-c', script], {encoding: 'utf8'}).split('\n').filter(Boolean).sort();
    };
    const firstWords = [...new Set(IDS.map((id) => id.split(':')[0]!))];
    expect(complete('mq', '')).toEqual(['--help', '--version', ...firstWords].sort());
    expect(complete('mq', 'broker', 'st')).toEqual(['start', 'stop']);
    expect(complete('mq', 'topic', 'd')).toEqual(['delete', 'describe']);
    expect(complete('mq', 'broker', 'start', '--log-level', '')).toEqual(['debug', 'error', 'fatal', 'info', 'silent', 'trace', 'warn']);
    expect(complete('mq', 'broker', 'start', '--log-level', '=', 'e')).toEqual(['error']);
    expect(complete('mq', 'consume', 'orders', '--f')).toEqual(['--follow', '--from']);
    expect(complete('mq', 'produce', '--acks', '')).toEqual(['0', 'all', 'leader']);
    expect(complete('mq', 'broker', 'start', '--no-auto')).toEqual(['--no-auto-create-topics']);
    expect(complete('mq', 'consume', '--url', '')).toEqual([]); // a free value: bash falls back to its default
  });
});
