'use strict';
// The single executable's main script (a Node SEA main is CommonJS). The CLI itself is ES modules (esbuild chunks made
// by sea/build.mjs, stored as assets under app/): Node imports ES modules only from files or URLs, and a data: URL of
// the whole bundle costs ~70 ms per start, so the chunks are written once to a directory named after their content
// hash and imported from there. `$XDG_CACHE_HOME/mq/app` (default ~/.cache/mq/app), else a private dir in the temp dir.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const {pathToFileURL} = require('node:url');
const {getAsset} = require('node:sea');

const index = JSON.parse(getAsset('app/index.json', 'utf8')); // {id, entry, files}

function unpack(root, shared) {
  if (shared) {
    // in a shared temp dir, only use (and run code from) a directory that no other user can write
    fs.mkdirSync(root, {recursive: true, mode: 0o700});
    const st = fs.statSync(path.dirname(root));
    if (st.uid !== process.getuid() || (st.mode & 0o022) !== 0) throw new Error(`${path.dirname(root)} is not private to this user`);
  }
  const dir = path.join(root, index.id);
  const entry = path.join(dir, index.entry);
  if (fs.existsSync(entry)) return entry;
  fs.mkdirSync(root, {recursive: true, mode: 0o700});
  const tmp = fs.mkdtempSync(path.join(root, `.${index.id}-`));
  try {
    for (const f of index.files) fs.writeFileSync(path.join(tmp, f), Buffer.from(getAsset(`app/${f}`)));
    fs.renameSync(tmp, dir); // the whole directory at once: concurrent first starts are safe
  } catch (error) {
    fs.rmSync(tmp, {recursive: true, force: true});
    if (!fs.existsSync(entry)) throw error; // else another mq unpacked it first
  }
  return entry;
}

async function main() {
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const tried = [];
  for (const [root, shared] of [[path.join(cache, 'mq', 'app'), false], [path.join(os.tmpdir(), `mq-${process.getuid()}`, 'app'), true]]) {
    let entry;
    try {
      entry = unpack(root, shared);
    } catch (error) {
      tried.push(`${root}: ${error.message}`);
      continue;
    }
    return import(pathToFileURL(entry).href);
  }
  process.stderr.write(`mq: cannot unpack itself; set XDG_CACHE_HOME to a writable directory.\n  ${tried.join('\n  ')}\n`);
  process.exit(1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
