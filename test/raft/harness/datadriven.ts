import {readFileSync, writeFileSync} from 'node:fs';

/**
 * etcd-style datadriven files: each block is a command line, a `----` separator, and the expected output, ended
 * by a blank line. Lines starting with `#` before a command are comments and are kept on rewrite.
 */
export interface Block {
  readonly comments: readonly string[];
  readonly command: string;
  readonly expected: string;
  readonly line: number;
}

export function parseFile(path: string): Block[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const blocks: Block[] = [];
  let comments: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '') {
      i++;
      continue;
    }
    if (line.startsWith('#')) {
      comments.push(line);
      i++;
      continue;
    }
    const command = line.trim();
    const at = i + 1;
    if (lines[i + 1] !== '----') throw new Error(`${path}:${at}: expected ---- after "${command}"`);
    i += 2;
    const expected: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '') expected.push(lines[i++]!);
    blocks.push({comments, command, expected: expected.join('\n'), line: at});
    comments = [];
  }
  return blocks;
}

/** Writes the file back with `actual` outputs (MQ_REWRITE=1): review the diff before committing it. */
export function rewriteFile(path: string, blocks: readonly Block[], actual: readonly string[]): void {
  const parts = blocks.map((b, i) => [...b.comments, b.command, '----', actual[i]!].join('\n'));
  writeFileSync(path, `${parts.join('\n\n')}\n`);
}

export interface Command {
  readonly name: string;
  readonly positional: readonly string[];
  readonly options: ReadonlyMap<string, string>;
}

/** `name pos pos key=value flag`: a bare word after the name is positional; `key=value` is an option. */
export function parseCommand(line: string): Command {
  const [name, ...rest] = line.split(/\s+/);
  const positional: string[] = [];
  const options = new Map<string, string>();
  for (const tok of rest) {
    const eq = tok.indexOf('=');
    if (eq > 0) options.set(tok.slice(0, eq), tok.slice(eq + 1));
    else positional.push(tok);
  }
  return {name: name!, positional, options};
}
