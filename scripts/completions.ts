/**
 * Renders the bash and zsh completion scripts in completions/ from the commands themselves
 * (scripts/cli-manifest.ts): command and topic names, flags, flag values with fixed options, files for path flags.
 * `npm run completions` writes them; test/unit/cli-docs.test.ts fails when the committed files are stale.
 */
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import type {Command, Interfaces} from '@oclif/core';
import {cliManifest, cliTopics} from './cli-manifest.js';

type Cmd = Command.Cached;
type Flag = Command.Flag.Cached;
interface Topic {
  name: string;
  description: string;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const COMPLETIONS_DIR = path.join(ROOT, 'completions');
const HEADER = 'Generated from commands/index.ts by `npm run completions`; do not edit by hand.';

/** Flags whose value is a path: complete file names. */
const isPathFlag = (f: Flag): boolean => /(^|-)(dir|file|config)$/.test(f.name);

function commands(manifest: Interfaces.Manifest): Cmd[] {
  return Object.values(manifest.commands)
    .filter((c) => !c.hidden)
    .sort((a, b) => a.id.localeCompare(b.id));
}

const flagsOf = (c: Cmd): Flag[] => Object.values(c.flags).filter((f) => !f.hidden);
const summaryOf = (c: Cmd): string => (c.summary ?? c.description ?? '').split('\n')[0]!.trim();

/** Every id that can be typed as words: topics (`broker`) and commands (`broker:start`), and what each offers next. */
function tree(manifest: Interfaces.Manifest, topics: Topic[]): Map<string, Array<{word: string; description: string}>> {
  const next = new Map<string, Array<{word: string; description: string}>>([['', []]]);
  for (const t of topics) next.set(t.name, []);
  const add = (parent: string, word: string, description: string): void => {
    if (!next.get(parent)!.some((e) => e.word === word)) next.get(parent)!.push({word, description});
  };
  for (const t of topics) {
    const parts = t.name.split(':');
    add(parts.slice(0, -1).join(':'), parts.at(-1)!, t.description);
  }
  for (const c of commands(manifest)) {
    const parts = c.id.split(':');
    const parent = parts.slice(0, -1).join(':');
    add(parent, parts.at(-1)!, summaryOf(c));
  }
  return next;
}

// ---------------------------------------------------------------------------------------------------------------- bash

export function renderBash(manifest: Interfaces.Manifest, topics: Topic[]): string {
  const next = tree(manifest, topics);
  const ids = [...next.keys(), ...commands(manifest).map((c) => c.id)].filter(Boolean);
  const out: string[] = [
    '# bash completion for mq.',
    `# ${HEADER}`,
    '# Use: source it from ~/.bashrc (`source /path/to/completions/mq.bash`), or copy it to',
    '# /etc/bash_completion.d/mq (or ~/.local/share/bash-completion/completions/mq).',
    '',
    '_mq() {',
    '  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}',
    '  [[ $prev == "=" && $COMP_CWORD -ge 2 ]] && prev=${COMP_WORDS[COMP_CWORD-2]}',
    '  [[ $cur == "=" ]] && cur=""',
    '  # the command id so far: leading words that name a topic or command ("broker start" -> broker:start)',
    '  local id="" w i',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    w=${COMP_WORDS[i]}',
    `    case " ${ids.join(' ')} " in`,
    '      *" ${id:+$id:}$w "*) id=${id:+$id:}$w ;;',
    '      *) break ;;',
    '    esac',
    '  done',
    '  local words=""',
    '  case $id in',
  ];
  for (const [parent, children] of next) {
    const words = children.map((c) => c.word);
    if (parent === '') words.push('--help', '--version');
    else words.push('--help');
    out.push(`    ${parent === '' ? '""' : parent}) words="${words.join(' ')}" ;;`);
  }
  for (const c of commands(manifest)) {
    const flags = flagsOf(c);
    const valueCases: string[] = [];
    for (const f of flags) {
      if (f.type !== 'option') continue;
      const names = [`--${f.name}`, ...(f.char ? [`-${f.char}`] : [])].join('|');
      if (f.options?.length) valueCases.push(`        ${names}) COMPREPLY=($(compgen -W "${f.options.join(' ')}" -- "$cur")); return ;;`);
      else if (isPathFlag(f)) valueCases.push(`        ${names}) COMPREPLY=($(compgen -f -- "$cur")); return ;;`);
      else valueCases.push(`        ${names}) return ;;`);
    }
    const words = flags.flatMap((f) => (f.type === 'boolean' && f.allowNo ? [`--${f.name}`, `--no-${f.name}`] : [`--${f.name}`]));
    out.push(`    ${c.id})`);
    if (valueCases.length) out.push('      case $prev in', ...valueCases, '      esac');
    out.push(`      words="${[...words, '--help'].join(' ')}" ;;`);
  }
  out.push(
    '  esac',
    '  COMPREPLY=($(compgen -W "$words" -- "$cur"))',
    '}',
    '',
    'complete -o default -F _mq mq',
    '',
  );
  return out.join('\n');
}

// ----------------------------------------------------------------------------------------------------------------- zsh

/** A single-quoted zsh word. */
const zq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
/** Text inside an _arguments `[description]` or a `name:description` pair. */
const zdesc = (s: string): string => s.replace(/[\\[\]:]/g, '\\$&');

function zshFlagSpecs(f: Flag): string[] {
  const desc = `[${zdesc((f.description ?? '').replace(/\s*\n\s*/g, ' '))}]`;
  if (f.type === 'boolean') {
    if (f.allowNo) return [zq(`(--${f.name} --no-${f.name})--${f.name}${desc}`), zq(`(--${f.name} --no-${f.name})--no-${f.name}${desc}`)];
    if (f.char) return [`${zq(`(-${f.char} --${f.name})`)}{-${f.char},--${f.name}}${zq(desc)}`];
    return [zq(`--${f.name}${desc}`)];
  }
  const action = f.options?.length ? `(${f.options.join(' ')})` : isPathFlag(f) ? '_files' : '';
  const value = `:${zdesc(f.name)}:${action}`;
  const excl = f.multiple ? '*' : f.char ? `(-${f.char} --${f.name})` : '';
  if (f.char) return [`${zq(excl)}{-${f.char}+,--${f.name}=}${zq(desc + value)}`];
  return [zq(`${excl}--${f.name}=${desc}${value}`)];
}

function zshArgSpecs(c: Cmd): string[] {
  const args = Object.values(c.args);
  return args.map((a, i) => {
    const variadic = c.strict === false && i === args.length - 1;
    return zq(`${variadic ? '*:' : a.required ? '' : ':'}:${zdesc(a.name)}:`);
  });
}

export function renderZsh(manifest: Interfaces.Manifest, topics: Topic[]): string {
  const next = tree(manifest, topics);
  const ids = [...next.keys(), ...commands(manifest).map((c) => c.id)].filter(Boolean);
  const out: string[] = [
    '#compdef mq',
    '# zsh completion for mq.',
    `# ${HEADER}`,
    '# Use: copy it as _mq into a directory on $fpath (e.g. mkdir -p ~/.zfunc && cp completions/_mq ~/.zfunc/,',
    '# then in ~/.zshrc, before compinit: fpath=(~/.zfunc $fpath)), and start a new shell.',
    '',
    '_mq() {',
    '  # the command id so far: leading words that name a topic or command ("broker start" -> broker:start)',
    '  local id="" w',
    '  local -i n=1',
    '  while (( n + 1 < CURRENT )); do',
    '    w=${words[n+1]}',
    `    if [[ " ${ids.join(' ')} " == *" ${'${id:+$id:}'}$w "* ]]; then id=${'${id:+$id:}'}$w; (( n++ )); else break; fi`,
    '  done',
    '  local -a subs',
    '  case $id in',
  ];
  for (const [parent, children] of next) {
    // _describe: `word:description`, only colons in the word need quoting (there are none)
    const entries = children.map((c) => zq(`${c.word}:${c.description.replace(/\s*\n\s*/g, ' ')}`));
    out.push(`    ${parent === '' ? '""' : parent})`);
    out.push(`      subs=(${entries.join(' ')})`);
    out.push(`      if [[ $PREFIX == -* ]]; then compadd -- --help${parent === '' ? ' --version' : ''}; else _describe -t commands ${zq(parent ? `mq ${parent.split(':').join(' ')} command` : 'mq command')} subs; fi ;;`);
  }
  for (const c of commands(manifest)) {
    const specs = [...flagsOf(c).flatMap(zshFlagSpecs), zq('--help[Show help.]'), ...zshArgSpecs(c)];
    out.push(`    ${c.id})`);
    out.push(`      shift $(( n - 1 )) words; (( CURRENT -= n - 1 ))`);
    out.push(`      _arguments -s -S \\`);
    for (const s of specs) out.push(`        ${s} \\`);
    out.push(`        ;;`);
  }
  // autoloaded from $fpath: complete now; sourced: register
  out.push('  esac', '}', '', 'if [[ $funcstack[1] == _mq ]]; then', '  _mq "$@"', 'else', '  compdef _mq mq', 'fi', '');
  return out.join('\n');
}

export const COMPLETION_FILES = {bash: path.join(COMPLETIONS_DIR, 'mq.bash'), zsh: path.join(COMPLETIONS_DIR, '_mq')};

export async function renderCompletionsFromSource(): Promise<{bash: string; zsh: string}> {
  const manifest = await cliManifest(ROOT);
  const topics = cliTopics(ROOT, manifest);
  return {bash: renderBash(manifest, topics), zsh: renderZsh(manifest, topics)};
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const r = await renderCompletionsFromSource();
  fs.mkdirSync(COMPLETIONS_DIR, {recursive: true});
  fs.writeFileSync(COMPLETION_FILES.bash, r.bash);
  fs.writeFileSync(COMPLETION_FILES.zsh, r.zsh);
  console.log(`wrote ${[COMPLETION_FILES.bash, COMPLETION_FILES.zsh].map((f) => path.relative(process.cwd(), f)).join(', ')}`);
}
