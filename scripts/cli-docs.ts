/**
 * Renders docs/cli.md, the command reference, from the commands themselves (scripts/cli-manifest.ts): usage,
 * description, arguments, flags and examples of every command. `npm run docs:cli` writes it;
 * test/unit/cli-docs.test.ts fails when the committed file differs from what this renders.
 */
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import type {Command, Interfaces} from '@oclif/core';
import {ExitCode} from '../src/cli/exit-codes.js';
import {cliManifest, cliTopics} from './cli-manifest.js';

type Cmd = Command.Cached;
type Flag = Command.Flag.Cached;
type Example = string | {command: string; description: string};

const BIN = 'mq';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const EXIT_CODE_MEANINGS: Record<keyof typeof ExitCode, string> = {
  Ok: 'success',
  Error: 'an error (the broker rejected the request, or it could not be reached)',
  Usage: 'a usage error: unknown command or flag, bad flag value',
  Timeout: 'timed out, or fewer messages than `--max` arrived before `--timeout`',
  Unhealthy: '`mq status`: the broker cannot be reached or is not serving',
};

/** `broker:start` → `mq broker start` */
export const commandLine = (id: string): string => `${BIN} ${id.split(':').join(' ')}`;
const anchor = (id: string): string => commandLine(id).replace(/\s+/g, '-');
const bin = (s: string): string => s.replace(/<%=\s*config\.bin\s*%>/g, BIN);
/** Visible flags: the command's own first (in declaration order), then the global ones. */
export function visibleFlags(cmd: Cmd): Flag[] {
  const flags = Object.values(cmd.flags).filter((f) => !f.hidden);
  return [...flags.filter((f) => f.helpGroup !== 'GLOBAL'), ...flags.filter((f) => f.helpGroup === 'GLOBAL')];
}

function flagSyntax(f: Flag): string {
  const name = f.type === 'boolean' && f.allowNo ? `--[no-]${f.name}` : `--${f.name}`;
  const long = f.type === 'boolean' ? name : `${name}=${f.options?.length ? f.options.join('|') : '<value>'}${f.multiple ? '...' : ''}`;
  return f.char ? `-${f.char}, ${long}` : long;
}

function usage(cmd: Cmd): string {
  const args = Object.values(cmd.args);
  const parts = args.map((a, i) => {
    const name = a.name.toUpperCase() + (cmd.strict === false && i === args.length - 1 ? '...' : '');
    return a.required ? name : `[${name}]`;
  });
  const hasFlags = visibleFlags(cmd).length > 0;
  return [commandLine(cmd.id), ...parts, ...(hasFlags ? ['[FLAGS]'] : [])].join(' ');
}

/** Prose from the commands: `<data-dir>` must not become an HTML tag, nor `MQ_*` emphasis. */
const md = (s: string): string => bin(s).replace(/[<>*]/g, (c) => `\\${c}`);
/** Table cells: one line, pipes escaped. */
const cell = (s: string): string => s.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');

function flagNotes(f: Flag): string {
  const notes: string[] = [];
  if (f.default !== undefined && f.default !== false && typeof f.default !== 'function') notes.push(`default \`${String(f.default)}\``);
  if (f.env) notes.push(`env \`${f.env}\``);
  return notes.length ? ` (${notes.join(', ')})` : '';
}

function renderExamples(examples: Example[]): string[] {
  const lines: string[] = [];
  for (const e of examples) {
    const ex = typeof e === 'string' ? {command: e, description: ''} : e;
    if (ex.description) lines.push(`# ${bin(ex.description)}`);
    lines.push(bin(ex.command));
  }
  return lines;
}

function renderCommand(cmd: Cmd): string[] {
  const out: string[] = [`## ${commandLine(cmd.id)}`, ''];
  if (cmd.summary) out.push(md(cmd.summary), '');
  if (cmd.description) out.push(...md(cmd.description).split(/\n{2,}/).flatMap((p) => [p.trim(), '']));
  out.push('```', usage(cmd), '```', '');
  const args = Object.values(cmd.args);
  if (args.length) {
    out.push('| argument | description |', '|---|---|');
    for (const a of args) out.push(`| \`${a.name.toUpperCase()}\`${a.required ? '' : ' (optional)'} | ${cell(md(a.description ?? ''))} |`);
    out.push('');
  }
  const flags = visibleFlags(cmd);
  if (flags.length) {
    out.push('| flag | description |', '|---|---|');
    for (const f of flags) out.push(`| \`${cell(flagSyntax(f))}\` | ${cell(md(f.description ?? '') + flagNotes(f))} |`);
    out.push('');
  }
  const examples = (cmd.examples ?? []) as Example[];
  if (examples.length) out.push('Examples:', '', '```sh', ...renderExamples(examples), '```', '');
  return out;
}

/** The whole of docs/cli.md. */
export function renderCliDocs(manifest: Interfaces.Manifest, topics: Array<{name: string; description: string}>): string {
  const cmds = Object.values(manifest.commands).filter((c) => !c.hidden).sort((a, b) => a.id.localeCompare(b.id));
  const out: string[] = [
    '# mq command reference',
    '',
    '<!-- Generated from commands/index.ts by `npm run docs:cli`; do not edit by hand. test/unit/cli-docs.test.ts fails when it is stale. -->',
    '',
    `Every command prints this with \`--help\` (\`${BIN} --help\`, \`${BIN} topic --help\`, \`${BIN} consume --help\`); \`${BIN} --version\` prints the version.`,
    'Commands that talk to a broker take `--url` (or `MQ_URL`, default `http://127.0.0.1:7070`) and `--json` for machine',
    'output. Shell completion for bash and zsh: see [completions/](../completions/).',
    '',
    '| command | summary |',
    '|---|---|',
    ...cmds.map((c) => `| [\`${commandLine(c.id)}\`](#${anchor(c.id)}) | ${cell(md(c.summary ?? c.description?.split('\n')[0] ?? ''))} |`),
    '',
    'Topics: ' + topics.map((t) => `\`${commandLine(t.name)}\`${t.description ? ` (${t.description.replace(/\.$/, '').toLowerCase()})` : ''}`).join(', ') + '.',
    '',
    '## Exit codes',
    '',
    '| code | meaning |',
    '|---|---|',
    ...Object.entries(ExitCode).map(([name, code]) => {
      const meaning = EXIT_CODE_MEANINGS[name as keyof typeof ExitCode];
      if (!meaning) throw new Error(`scripts/cli-docs.ts: describe exit code ${name} (${code})`);
      return `| ${code} | ${meaning} |`;
    }),
    '',
  ];
  for (const c of cmds) out.push(...renderCommand(c));
  return out.join('\n').replace(/\n+$/, '\n');
}

export const CLI_DOCS_FILE = path.join(ROOT, 'docs/cli.md');

export async function renderCliDocsFromSource(): Promise<string> {
  const manifest = await cliManifest(ROOT);
  return renderCliDocs(manifest, cliTopics(ROOT, manifest));
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  fs.writeFileSync(CLI_DOCS_FILE, await renderCliDocsFromSource());
  console.log(`wrote ${path.relative(process.cwd(), CLI_DOCS_FILE)}`);
}
